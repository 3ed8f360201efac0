import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { auditEvent, T0, useFixture, type StorageFactory } from './fixture.js';

/** The append-only audit log (core/audit/audit.ts): the database itself refuses changes. */
export function runAuditSuite(factory: StorageFactory): void {
  // One describe per suite, so its beforeEach/afterEach hooks run for its own tests only.
  describe('audit store', () => {
    const fixture = useFixture(factory);

    describe('audit log: append-only, enforced by the database', () => {
      it('refuses UPDATE and DELETE of audit rows, even as raw SQL, and keeps the rows unchanged', async () => {
        const f = fixture();
        await f.audit.append([auditEvent('memory.read', { workspaceId: 'ws_a', targetId: 'mem_1' })]);
        await expect(f.storage.db.updateTable('audit_log').set({ action: 'memory.delete' }).execute()).rejects.toThrow(/append-only/);
        await expect(f.storage.db.deleteFrom('audit_log').execute()).rejects.toThrow(/append-only/);
        await expect(sql`UPDATE audit_log SET target_id = NULL`.execute(f.storage.db)).rejects.toThrow(/append-only/);
        await expect(sql`DELETE FROM audit_log WHERE id > 0`.execute(f.storage.db)).rejects.toThrow(/append-only/);
        const rows = await f.audit.listForWorkspace('ws_a', 10);
        expect(rows.map((r) => [r.action, r.targetId])).toEqual([['memory.read', 'mem_1']]);
      });

      it('appends a large batch in one call (more rows than one statement carries) and lists newest first', async () => {
        const f = fixture();
        const events = Array.from({ length: 1203 }, (_, i) =>
          auditEvent('memory.read', { at: T0 + i, workspaceId: i % 2 === 0 ? 'ws_even' : 'ws_odd', targetId: `mem_${i}`, detail: { i } }),
        );
        await f.audit.append(events);
        await f.audit.append([]);
        const even = await f.audit.listForWorkspace('ws_even', 1000);
        expect(even).toHaveLength(602);
        expect(even[0]).toMatchObject({ targetId: 'mem_1202', at: T0 + 1202, detail: { i: 1202 }, workspaceId: 'ws_even' });
        expect(even[601]).toMatchObject({ targetId: 'mem_0', detail: { i: 0 } });
        const ids = even.map((e) => e.id);
        expect(ids).toEqual([...ids].sort((a, b) => b - a));
        expect(typeof ids[0]).toBe('number');
        expect(await f.audit.listForWorkspace('ws_odd', 3)).toHaveLength(3);
        expect(await f.audit.listForWorkspace('ws_none', 3)).toEqual([]);
      });

      it('round-trips every field of an event', async () => {
        const f = fixture();
        const event = auditEvent('key.rotate', {
          at: T0 + 7,
          workspaceId: 'ws_a',
          userId: 'usr_a',
          credentialKind: 'api_key',
          credentialId: 'key_a',
          appId: 'app_a',
          targetId: 'key_b',
          requestId: 'req_1',
          detail: { graceSeconds: 60, nested: { ok: true } },
        });
        await f.audit.append([event]);
        const [row] = await f.audit.listForWorkspace('ws_a', 1);
        expect(row).toEqual({ ...event, id: row!.id });
      });
    });
  });
}
