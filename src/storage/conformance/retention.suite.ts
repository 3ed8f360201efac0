import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { Memory } from '../../core/memories/memory.js';
import type { WorkspaceScope } from '../../core/memories/memory-store.js';
import { KyselyRetentionStore } from '../retention-repo.js';
import { auditEvent, createTenant, newMemory, T0, useFixture, type StorageFactory, type StoreFixture, type Tenant } from './fixture.js';

const DAY = 86_400_000;
const scopeOf = (t: Tenant): WorkspaceScope => ({ workspaceId: t.workspace.id });

async function add(f: StoreFixture, t: Tenant, content: string, now = T0): Promise<Memory> {
  const [outcome] = await f.memories.insertMany(scopeOf(t), [newMemory(t, content, { now })], (m) => auditEvent('memory.create', { workspaceId: m.workspaceId, targetId: m.id, at: now }));
  return outcome!.memory;
}

async function remove(f: StoreFixture, t: Tenant, m: Memory, at: number): Promise<void> {
  expect(await f.memories.deleteMany(scopeOf(t), { ids: [m.id] }, at, () => auditEvent('memory.delete', { workspaceId: t.workspace.id, at }))).toBe(1);
}

/** A vector and a queued embedding job for `m`, as the embedding path writes them. */
async function attachVectorAndJob(f: StoreFixture, m: Memory): Promise<void> {
  await f.storage.db
    .insertInto('memory_vectors')
    .values({ memory_id: m.id, workspace_id: m.workspaceId, model_id: 'test', dimensions: 2, vector: Buffer.from(new Float32Array([1, 0]).buffer), updated_at: T0 } as never)
    .execute();
  await f.storage.db.insertInto('embedding_jobs').values({ memory_id: m.id, workspace_id: m.workspaceId, attempts: 0, next_attempt_at: T0, last_error: null, created_at: T0 }).execute();
}

async function rowsFor(f: StoreFixture, table: 'memory_vectors' | 'embedding_jobs' | 'memory_versions', ids: readonly string[]): Promise<string[]> {
  const rows = await f.storage.db.selectFrom(table).select('memory_id').where('memory_id', 'in', [...ids]).execute();
  return [...new Set(rows.map((r) => r.memory_id))].sort();
}

async function drain(purge: (limit: number) => Promise<number>, limit: number): Promise<number[]> {
  const batches: number[] = [];
  for (;;) {
    const n = await purge(limit);
    batches.push(n);
    if (n < limit) return batches;
  }
}

/** Retention (core/retention/retention.ts): what the sweep erases, and that it erases nothing else. */
export function runRetentionSuite(factory: StorageFactory): void {
  describe('retention store', () => {
    const fixture = useFixture(factory);

    describe('retention: deleted memories', () => {
      it('erases exactly the memories deleted before the cutoff, with their vectors, jobs and versions, in batches', async () => {
        const f = fixture();
        const retention = new KyselyRetentionStore(f.storage.db);
        const ada = await createTenant(f, 'ada@example.com');
        const bob = await createTenant(f, 'bob@example.com');
        const cutoff = T0 + 40 * DAY;
        const old = [await add(f, ada, 'old one'), await add(f, ada, 'old two'), await add(f, bob, 'old three')];
        for (const m of old) {
          await attachVectorAndJob(f, m);
          await remove(f, m.workspaceId === ada.workspace.id ? ada : bob, m, T0 + DAY);
        }
        // Deleted after the cutoff: still restorable, kept. Deleted exactly at the cutoff: kept (the bound is strict).
        const recent = await add(f, ada, 'recently deleted');
        await attachVectorAndJob(f, recent);
        await remove(f, ada, recent, cutoff + 1);
        const atCutoff = await add(f, ada, 'deleted at the cutoff');
        await remove(f, ada, atCutoff, cutoff);
        // Live and archived memories last changed long ago: never touched.
        const live = await add(f, ada, 'still live');
        await attachVectorAndJob(f, live);
        await f.memories.update(scopeOf(ada), live.id, { content: 'still live, edited', contentHash: newMemory(ada, 'still live, edited').contentHash, now: T0 + 2 }, auditEvent('memory.update'));
        const archived = await add(f, bob, 'archived long ago');
        await f.memories.update(scopeOf(bob), archived.id, { state: 'archived', now: T0 + 3 }, auditEvent('memory.update'));

        expect(await drain((limit) => retention.purgeDeletedMemories(cutoff, limit), 2)).toEqual([2, 1]);
        expect(await retention.purgeDeletedMemories(cutoff, 2)).toBe(0);

        const oldIds = old.map((m) => m.id);
        expect(await f.memories.getMany(scopeOf(ada), oldIds)).toEqual([]);
        expect(await f.memories.getMany(scopeOf(bob), oldIds)).toEqual([]);
        for (const table of ['memory_vectors', 'embedding_jobs', 'memory_versions'] as const) expect(await rowsFor(f, table, oldIds)).toEqual([]);
        expect(await f.memories.history(scopeOf(ada), old[0]!.id)).toEqual([]);

        // What survives keeps everything, history included.
        const survivors = [recent.id, atCutoff.id, live.id, archived.id];
        expect((await f.memories.getMany(scopeOf(ada), survivors)).map((m) => [m.id, m.state]).sort()).toEqual(
          [[recent.id, 'deleted'], [atCutoff.id, 'deleted'], [live.id, 'active']].sort(),
        );
        expect((await f.memories.get(scopeOf(bob), archived.id))?.state).toBe('archived');
        expect(await rowsFor(f, 'memory_vectors', survivors)).toEqual([recent.id, live.id].sort());
        expect((await f.memories.history(scopeOf(ada), live.id)).map((v) => v.action)).toEqual(['update', 'create']);
        expect((await f.memories.history(scopeOf(ada), recent.id)).map((v) => v.action)).toEqual(['delete', 'create']);
        expect(await f.memories.count(scopeOf(ada))).toEqual({ active: 1, archived: 0, deleted: 2 });
        // Totals within a restore window: deleted memories count only if deleted at or after its start.
        const recentRow = await f.storage.db.selectFrom('memories').select('updated_at').where('id', '=', recent.id).executeTakeFirstOrThrow();
        const windowStart = Number(recentRow.updated_at);
        expect(await f.memories.count(scopeOf(ada), windowStart)).toEqual({ active: 1, archived: 0, deleted: 1 });
        expect((await f.memories.facets(scopeOf(ada), windowStart)).counts).toEqual({ active: 1, archived: 0, deleted: 1 });
        expect(await f.memories.count(scopeOf(ada), windowStart + 1)).toEqual({ active: 1, archived: 0, deleted: 0 });
      });

      it('drops the full-text rows of erased memories, and their text can be written again', async () => {
        const f = fixture();
        const retention = new KyselyRetentionStore(f.storage.db);
        const ada = await createTenant(f, 'ada@example.com');
        const gone = await add(f, ada, 'zephyrine deployment notes');
        await remove(f, ada, gone, T0 + 1);
        expect(await retention.purgeDeletedMemories(T0 + DAY, 100)).toBe(1);
        if (f.storage.dialect.name === 'sqlite') {
          const fts = await sql<{ n: number }>`SELECT count(*) AS n FROM memories_fts WHERE memories_fts MATCH 'zephyrine'`.execute(f.storage.db);
          expect(Number(fts.rows[0]!.n)).toBe(0);
        }
        const again = await add(f, ada, 'zephyrine deployment notes', T0 + 2 * DAY);
        const hits = await f.memories.search(scopeOf(ada), { text: 'zephyrine', limit: 10, states: ['active', 'deleted'] });
        expect(hits.map((h) => h.memory.id)).toEqual([again.id]);
      });

      it('leaves a memory restored after the cutoff was chosen alone, and two sweeps at once erase each memory once', async () => {
        const f = fixture();
        const ada = await createTenant(f, 'ada@example.com');
        const ms = [];
        for (let i = 0; i < 7; i++) {
          const m = await add(f, ada, `deleted ${i}`);
          await remove(f, ada, m, T0 + i);
          ms.push(m);
        }
        const restored = await f.memories.update(scopeOf(ada), ms[3]!.id, { state: 'active', now: T0 + DAY }, auditEvent('memory.update'));
        expect(restored.ok).toBe(true);
        const a = new KyselyRetentionStore(f.storage.db);
        const b = new KyselyRetentionStore(f.storage.db);
        const [x, y] = await Promise.all([drain((limit) => a.purgeDeletedMemories(T0 + 100, limit), 2), drain((limit) => b.purgeDeletedMemories(T0 + 100, limit), 2)]);
        expect([...x, ...y].reduce((s, n) => s + n, 0)).toBe(6);
        expect(await f.memories.count(scopeOf(ada))).toEqual({ active: 1, archived: 0, deleted: 0 });
      });
    });

    describe('retention: a deleted memory changes only by a restore, within its period', () => {
      it('refuses edits of a deleted memory (its updated_at stays the deletion time) and restores only from the restorableSince bound on', async () => {
        const f = fixture();
        const ada = await createTenant(f, 'ada@example.com');
        const m = await add(f, ada, 'to be deleted');
        await remove(f, ada, m, T0 + 10);
        const edit = await f.memories.update(scopeOf(ada), m.id, { metadata: { touched: true }, now: T0 + 20 }, auditEvent('memory.update'));
        expect(edit).toEqual({ ok: false, reason: 'NOT_FOUND' });
        const again = await f.memories.update(scopeOf(ada), m.id, { state: 'deleted', now: T0 + 20 }, auditEvent('memory.delete'));
        expect(again).toEqual({ ok: false, reason: 'NOT_FOUND' });
        expect((await f.memories.get(scopeOf(ada), m.id))?.updatedAt).toBe(T0 + 10);
        expect((await f.memories.history(scopeOf(ada), m.id)).map((v) => v.action)).toEqual(['delete', 'create']);

        const late = await f.memories.update(scopeOf(ada), m.id, { state: 'active', now: T0 + 30, restorableSince: T0 + 11 }, auditEvent('memory.update'));
        expect(late).toEqual({ ok: false, reason: 'EXPIRED' });
        expect((await f.memories.get(scopeOf(ada), m.id))?.state).toBe('deleted');
        const inTime = await f.memories.update(scopeOf(ada), m.id, { state: 'active', now: T0 + 30, restorableSince: T0 + 10 }, auditEvent('memory.update'));
        expect(inTime.ok && inTime.memory).toMatchObject({ state: 'active', updatedAt: T0 + 30 });
      });
    });

    describe('retention: audit events', () => {
      it('deletes exactly the events before the cutoff, in batches, and the log refuses every other delete afterwards', async () => {
        const f = fixture();
        const retention = new KyselyRetentionStore(f.storage.db);
        const cutoff = T0 + 1000;
        await f.audit.append([
          ...Array.from({ length: 5 }, (_, i) => auditEvent('memory.read', { at: T0 + i, workspaceId: i % 2 ? 'ws_a' : null, targetId: `old_${i}` })),
          auditEvent('memory.read', { at: cutoff, workspaceId: 'ws_a', targetId: 'at_cutoff' }),
          auditEvent('memory.read', { at: cutoff + 5, workspaceId: 'ws_b', targetId: 'new' }),
        ]);
        expect(await drain((limit) => retention.purgeAuditEvents(cutoff, limit), 2)).toEqual([2, 2, 1]);
        const left = await f.storage.db.selectFrom('audit_log').select('target_id').orderBy('id').execute();
        expect(left.map((r) => r.target_id)).toEqual(['at_cutoff', 'new']);
        expect(Number((await f.storage.db.selectFrom('audit_purge').select('before_at').executeTakeFirstOrThrow()).before_at)).toBe(0);
        await expect(sql`DELETE FROM audit_log WHERE at < ${cutoff + 10}`.execute(f.storage.db)).rejects.toThrow(/append-only/);
        await expect(f.storage.db.updateTable('audit_log').set({ action: 'x' }).execute()).rejects.toThrow(/append-only/);
        expect(await f.storage.db.selectFrom('audit_log').select('id').execute()).toHaveLength(2);
      });

      it('refuses deletes when the purge guard row is gone, rather than letting them all through', async () => {
        const f = fixture();
        await f.audit.append([auditEvent('memory.read', { at: T0, workspaceId: 'ws_a' })]);
        await f.storage.db.deleteFrom('audit_purge').execute();
        await expect(f.storage.db.deleteFrom('audit_log').execute()).rejects.toThrow(/append-only/);
      });
    });

    describe('audit export pages', () => {
      it('pages a workspace’s events oldest first by time, then id, within since/until, and every event without a workspace', async () => {
        const f = fixture();
        // Appended out of time order (buffered reads land after later writes): export follows `at`, not the id.
        await f.audit.append([
          auditEvent('memory.read', { at: T0 + 30, workspaceId: 'ws_a', targetId: 'c' }),
          auditEvent('memory.read', { at: T0 + 10, workspaceId: 'ws_a', targetId: 'a' }),
          auditEvent('memory.read', { at: T0 + 20, workspaceId: 'ws_b', targetId: 'other' }),
          auditEvent('memory.read', { at: T0 + 10, workspaceId: 'ws_a', targetId: 'b' }),
          auditEvent('retention.purge', { at: T0 + 40, workspaceId: null }),
        ]);
        const first = await f.audit.exportPage({ workspaceId: 'ws_a', limit: 2 });
        expect(first.map((e) => e.targetId)).toEqual(['a', 'b']);
        const last = first[1]!;
        const second = await f.audit.exportPage({ workspaceId: 'ws_a', limit: 2, after: { at: last.at, id: last.id } });
        expect(second.map((e) => e.targetId)).toEqual(['c']);
        expect((await f.audit.exportPage({ workspaceId: 'ws_a', since: T0 + 10, until: T0 + 30, limit: 10 })).map((e) => e.targetId)).toEqual(['a', 'b']);
        expect((await f.audit.exportPage({ limit: 10 })).map((e) => e.action === 'retention.purge' ? 'purge' : e.targetId)).toEqual(['a', 'b', 'other', 'c', 'purge']);
      });
    });
  });
}
