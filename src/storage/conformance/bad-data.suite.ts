import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { auditEvent, createTenant, newMemory, T0, useFixture, type StorageFactory } from './fixture.js';

/**
 * Rows written by hand, an older or newer Cairn, or a broken tool: reading them must not throw. Unreadable
 * values read as the safe default (empty metadata, no scope) rather than failing the whole request.
 */
export function runBadDataSuite(factory: StorageFactory): void {
  // One describe per suite, so its beforeEach/afterEach hooks run for its own tests only.
  describe('bad data', () => {
    const fixture = useFixture(factory);

    describe('bad data in the store', () => {
      it('reads metadata that is valid JSON but not an object as empty, in get, list and search', async () => {
        const f = fixture();
        const ada = await createTenant(f, 'ada@example.com');
        const scope = { workspaceId: ada.workspace.id };
        const values = ['[1,2,3]', '"just a string"', 'null', '42', 'true'];
        const ids: string[] = [];
        for (const [i, value] of values.entries()) {
          const [out] = await f.memories.insertMany(scope, [newMemory(ada, `odd metadata ${i}`, { now: T0 + i })], () => auditEvent('memory.create'));
          // Written as the JSON text; each dialect stores it in its metadata column type (TEXT or JSONB).
          await f.storage.db.updateTable('memories').set({ metadata: value }).where('id', '=', out!.memory.id).execute();
          ids.push(out!.memory.id);
        }
        for (const id of ids) expect((await f.memories.get(scope, id))?.metadata).toEqual({});
        const listed = await f.memories.list(scope, { limit: 10, states: ['active'] });
        expect(listed.map((m) => m.metadata)).toEqual(values.map(() => ({})));
        const hits = await f.memories.search(scope, { text: 'odd metadata', limit: 10, states: ['active'] });
        expect(hits).toHaveLength(values.length);
        expect(hits.every((h) => Object.keys(h.memory.metadata).length === 0)).toBe(true);
      });

      it('reads malformed metadata text as empty where the column accepts it, and PostgreSQL jsonb refuses to store it at all', async () => {
        const f = fixture();
        const ada = await createTenant(f, 'ada@example.com');
        const scope = { workspaceId: ada.workspace.id };
        const [out] = await f.memories.insertMany(scope, [newMemory(ada, 'broken metadata', { metadata: { ok: true } })], () => auditEvent('memory.create'));
        const id = out!.memory.id;
        const write = sql`UPDATE memories SET metadata = ${'{"unterminated": '} WHERE id = ${id}`.execute(f.storage.db);
        if (f.storage.dialect.name === 'sqlite') {
          // SQLite stores TEXT as given: the repository must cope when reading it back.
          await write;
          expect((await f.memories.get(scope, id))?.metadata).toEqual({});
          expect((await f.memories.list(scope, { limit: 10, states: ['active'] }))[0]?.metadata).toEqual({});
        } else {
          // jsonb validates on write, so malformed JSON can never be in the table to begin with.
          await expect(write).rejects.toThrow(/json/i);
          expect((await f.memories.get(scope, id))?.metadata).toEqual({ ok: true });
        }
      });

      it('drops unknown scope names stored on a key instead of failing or granting them', async () => {
        const f = fixture();
        const ada = await createTenant(f, 'ada@example.com');
        const key = {
          id: 'key_baddata',
          userId: ada.user.id,
          workspaceId: ada.workspace.id,
          appId: ada.app.id,
          name: 'hand-edited',
          prefix: 'cairn_sk_AbCdEf',
          hash: 'b'.repeat(64),
          scopes: ['memories:read' as const],
          createdAt: T0,
          expiresAt: null,
          revokedAt: null,
        };
        await f.apiKeys.insert(key, auditEvent('key.create'));
        await f.storage.db.updateTable('api_keys').set({ scopes: '  memories:read  superuser memories:everything ADMIN admin:all  ' }).where('id', '=', key.id).execute();
        expect((await f.apiKeys.findForAuth(key.hash))?.scopes).toEqual(['memories:read']);
        expect((await f.apiKeys.list(ada.user.id, ada.workspace.id))[0]?.scopes).toEqual(['memories:read']);
        await f.storage.db.updateTable('api_keys').set({ scopes: '' }).where('id', '=', key.id).execute();
        expect((await f.apiKeys.findForAuth(key.hash))?.scopes).toEqual([]);
      });

      it('reads an audit detail that is not JSON as null instead of failing the listing', async () => {
        const f = fixture();
        // Inserted directly: the append-only triggers refuse updates, so bad data can only arrive on insert.
        await f.storage.db
          .insertInto('audit_log')
          .values({ at: T0, workspace_id: 'ws_x', user_id: null, credential_kind: null, credential_id: null, app_id: null, action: 'memory.read', target_id: null, request_id: null, detail: '{not json' })
          .execute();
        await f.audit.append([auditEvent('memory.read', { workspaceId: 'ws_x', detail: { fine: 1 }, at: T0 + 1 })]);
        const rows = await f.audit.listForWorkspace('ws_x', 10);
        expect(rows.map((r) => r.detail)).toEqual([{ fine: 1 }, null]);
      });
    });
  });
}
