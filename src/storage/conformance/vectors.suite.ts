import { describe, expect, it } from 'vitest';
import type { NewMemory, WorkspaceScope } from '../../core/memories/memory-store.js';
import { KyselyMemoryStore } from '../memories-repo.js';
import { chooseVectorSearch, KyselyEmbeddingQueue, KyselyVectorIndex, type VectorSearchKind } from '../vectors-repo.js';
import { auditEvent, createTenant, newMemory, T0, useFixture, type StorageFactory, type StoreFixture, type Tenant } from './fixture.js';

const MODEL = { id: 'test-model/4', dimensions: 4 };
const OTHER_MODEL = { id: 'other-model/4', dimensions: 4 };
const scopeOf = (t: Tenant): WorkspaceScope => ({ workspaceId: t.workspace.id });
const vec = (...xs: number[]) => new Float32Array(xs);

/** A memory store that queues embedding jobs, as services.ts builds it when an embedder is configured. */
function queueingStore(f: StoreFixture): KyselyMemoryStore {
  return new KyselyMemoryStore(f.storage.db, f.storage.dialect, { enqueueEmbeddings: true });
}

async function add(store: KyselyMemoryStore, t: Tenant, content: string, over: Parameters<typeof newMemory>[2] = {}): Promise<string> {
  const items: NewMemory[] = [newMemory(t, content, over)];
  const [outcome] = await store.insertMany(scopeOf(t), items, (m) => auditEvent('memory.create', { workspaceId: m.workspaceId, targetId: m.id }));
  return outcome!.memory.id;
}

async function jobIds(f: StoreFixture): Promise<string[]> {
  return (await f.storage.db.selectFrom('embedding_jobs').select('memory_id').orderBy('memory_id').execute()).map((r) => r.memory_id);
}

/**
 * The vector index and the embedding queue (storage/vectors-repo.ts) on a real database: the exact path,
 * and the path this database offers (sqlite-vec; pgvector where installed), which must answer alike.
 */
export function runVectorsSuite(factory: StorageFactory): void {
  describe('vector store', () => {
    const fixture = useFixture(factory);

    /** Resolves the kind to test: 'native' is whatever chooseVectorSearch picks on this database. */
    async function indexFor(f: StoreFixture, kind: VectorSearchKind | 'native', model = MODEL): Promise<KyselyVectorIndex> {
      const chosen = kind === 'native' ? (await chooseVectorSearch(f.storage)).kind : kind;
      return new KyselyVectorIndex(f.storage.db, model, chosen, () => T0);
    }

    it('picks its search path once, with a reason to log: sqlite-vec on SQLite, pgvector or exact on PostgreSQL', async () => {
      const f = fixture();
      const choice = await chooseVectorSearch(f.storage);
      expect(choice.kind).toEqual(f.storage.dialect.name === 'sqlite' ? 'sqlite-vec' : expect.stringMatching(/^(pgvector|exact)$/));
      expect(choice.reason).toMatch(/^vector search: /);
      if (choice.kind === 'exact') expect(choice.reason).toContain('pgvector extension is not installed');
    });

    for (const kind of ['exact', 'native'] as const) {
      describe(`vector index (${kind} search)`, () => {
        it('returns the nearest vectors first, with cosine similarity, normalising what it stores', async () => {
          const f = fixture();
          const ada = await createTenant(f, 'ada@example.com');
          const store = queueingStore(f);
          const [a, b, c] = [await add(store, ada, 'a'), await add(store, ada, 'b'), await add(store, ada, 'c')];
          const index = await indexFor(f, kind);
          await index.upsert(ada.workspace.id, [
            { memoryId: a, vector: vec(2, 0, 0, 0) },
            { memoryId: b, vector: vec(0.6, 0.8, 0, 0) },
            { memoryId: c, vector: vec(0, 0, 0, 5) },
          ]);
          const hits = await index.query(ada.workspace.id, vec(1, 0, 0, 0), 10);
          expect(hits.map((h) => h.memoryId)).toEqual([a, b, c]);
          expect(hits.map((h) => h.similarity)).toEqual([expect.closeTo(1, 5), expect.closeTo(0.6, 5), expect.closeTo(0, 5)]);
          expect(await index.query(ada.workspace.id, vec(0, 0, 0, 1), 1)).toEqual([{ memoryId: c, similarity: expect.closeTo(1, 5) }]);
          // Upsert replaces.
          await index.upsert(ada.workspace.id, [{ memoryId: c, vector: vec(1, 0, 0, 0) }]);
          expect((await index.query(ada.workspace.id, vec(1, 0, 0, 0), 2)).map((h) => h.memoryId)).toEqual([c, a]);
        });

        it('never returns, writes or removes another workspace’s vectors', async () => {
          const f = fixture();
          const ada = await createTenant(f, 'ada@example.com');
          const bob = await createTenant(f, 'bob@example.com');
          const store = queueingStore(f);
          const adaMemory = await add(store, ada, 'ada’s note');
          const bobMemory = await add(store, bob, 'bob’s note');
          const index = await indexFor(f, kind);
          await index.upsert(bob.workspace.id, [{ memoryId: bobMemory, vector: vec(1, 0, 0, 0) }]);
          expect(await index.hasVectors(ada.workspace.id)).toBe(false);
          expect(await index.query(ada.workspace.id, vec(1, 0, 0, 0), 10)).toEqual([]);
          // Writing bob's memory under ada's workspace, or ada's under bob's, does nothing.
          await index.upsert(ada.workspace.id, [{ memoryId: bobMemory, vector: vec(0, 1, 0, 0) }]);
          await index.upsert(bob.workspace.id, [{ memoryId: adaMemory, vector: vec(0, 1, 0, 0) }]);
          expect(await index.hasVectors(ada.workspace.id)).toBe(false);
          expect(await index.query(bob.workspace.id, vec(1, 0, 0, 0), 10)).toEqual([{ memoryId: bobMemory, similarity: expect.closeTo(1, 5) }]);
          await index.remove(ada.workspace.id, [bobMemory]);
          expect(await index.hasVectors(bob.workspace.id)).toBe(true);
          await index.remove(bob.workspace.id, [bobMemory]);
          expect(await index.hasVectors(bob.workspace.id)).toBe(false);
        });

        it('leaves out archived and deleted memories (unless archived is asked for) and vectors of another model', async () => {
          const f = fixture();
          const ada = await createTenant(f, 'ada@example.com');
          const store = queueingStore(f);
          const [live, archived, deleted, otherModel] = [await add(store, ada, 'live'), await add(store, ada, 'archived'), await add(store, ada, 'deleted'), await add(store, ada, 'other')];
          const index = await indexFor(f, kind);
          await index.upsert(ada.workspace.id, [live, archived, deleted].map((memoryId) => ({ memoryId, vector: vec(1, 0, 0, 0) })));
          await (await indexFor(f, kind, OTHER_MODEL)).upsert(ada.workspace.id, [{ memoryId: otherModel, vector: vec(1, 0, 0, 0) }]);
          await store.update(scopeOf(ada), archived, { state: 'archived', now: T0 + 1 }, auditEvent('memory.update', { workspaceId: ada.workspace.id }));
          await store.deleteMany(scopeOf(ada), { ids: [deleted] }, T0 + 1, () => auditEvent('memory.delete', { workspaceId: ada.workspace.id }));
          expect((await index.query(ada.workspace.id, vec(1, 0, 0, 0), 10)).map((h) => h.memoryId)).toEqual([live]);
          expect((await index.query(ada.workspace.id, vec(1, 0, 0, 0), 10, { states: ['archived'] })).map((h) => h.memoryId)).toEqual([archived]);
          // Deleted ones when asked for, while restorable: deletedSince leaves out those deleted before it (retention).
          expect((await index.query(ada.workspace.id, vec(1, 0, 0, 0), 10, { states: ['deleted'], deletedSince: T0 + 1 })).map((h) => h.memoryId)).toEqual([deleted]);
          expect(await index.query(ada.workspace.id, vec(1, 0, 0, 0), 10, { states: ['deleted'], deletedSince: T0 + 2 })).toEqual([]);
          expect((await index.query(ada.workspace.id, vec(1, 0, 0, 0), 10, { states: ['archived'], deletedSince: T0 + 2 })).map((h) => h.memoryId)).toEqual([archived]);
        });

        it('applies the memory filters (app, author, time) and breaks equal similarity newest first', async () => {
          const f = fixture();
          const ada = await createTenant(f, 'ada@example.com');
          const otherApp = await f.apps.ensure(ada.workspace.id, 'other-app', T0);
          const store = queueingStore(f);
          const early = await add(store, ada, 'early', { now: T0 });
          const late = await add(store, ada, 'late', { now: T0 + 5000 });
          const elsewhere = await add(store, ada, 'elsewhere', { now: T0 + 6000, appId: otherApp.id });
          const index = await indexFor(f, kind);
          await index.upsert(ada.workspace.id, [early, late, elsewhere].map((memoryId) => ({ memoryId, vector: vec(0, 1, 0, 0) })));
          const q = vec(0, 1, 0, 0);
          expect((await index.query(ada.workspace.id, q, 10)).map((h) => h.memoryId)).toEqual([elsewhere, late, early]);
          expect((await index.query(ada.workspace.id, q, 10, { appId: ada.app.id })).map((h) => h.memoryId)).toEqual([late, early]);
          expect((await index.query(ada.workspace.id, q, 10, { since: T0 + 1000, until: T0 + 6000 })).map((h) => h.memoryId)).toEqual([late]);
          expect(await index.query(ada.workspace.id, q, 10, { authorUserId: 'usr_nobody' })).toEqual([]);
        });
      });
    }

    describe('embedding queue: written with the memory', () => {
      it('queues a job in the transaction that inserts a memory, and none when the insert rolls back', async () => {
        const f = fixture();
        const ada = await createTenant(f, 'ada@example.com');
        const store = queueingStore(f);
        const id = await add(store, ada, 'remember me');
        expect(await jobIds(f)).toEqual([id]);
        // A duplicate is not a new memory: no second job.
        await add(store, ada, 'remember me');
        expect(await jobIds(f)).toEqual([id]);
        const failing = store.insertMany(scopeOf(ada), [newMemory(ada, 'never stored')], () => {
          throw new Error('audit refused');
        });
        await expect(failing).rejects.toThrow(/audit refused/);
        expect(await jobIds(f)).toEqual([id]);
        // Without embeddings configured, nothing is queued.
        await f.memories.insertMany(scopeOf(ada), [newMemory(ada, 'plain')], (m) => auditEvent('memory.create', { targetId: m.id }));
        expect(await jobIds(f)).toEqual([id]);
      });

      it('re-queues on a content change, not on a metadata or state change', async () => {
        const f = fixture();
        const ada = await createTenant(f, 'ada@example.com');
        const store = queueingStore(f);
        const queue = new KyselyEmbeddingQueue(f.storage.db);
        const id = await add(store, ada, 'first text');
        const [job] = await queue.claim(T0, 10, T0 + 60_000);
        await queue.complete([{ job: job!, vector: vec(1, 0, 0, 0) }], MODEL, T0);
        expect(await jobIds(f)).toEqual([]);
        const audit = auditEvent('memory.update', { workspaceId: ada.workspace.id });
        await store.update(scopeOf(ada), id, { metadata: { a: 1 }, now: T0 + 1 }, audit);
        await store.update(scopeOf(ada), id, { state: 'archived', now: T0 + 2 }, audit);
        expect(await jobIds(f)).toEqual([]);
        await store.update(scopeOf(ada), id, { content: 'second text', contentHash: newMemory(ada, 'second text').contentHash, now: T0 + 3 }, audit);
        expect(await jobIds(f)).toEqual([id]);
      });
    });

    describe('embedding queue: claim, complete, fail', () => {
      it('leases claimed jobs, so a second claim skips them until the lease runs out', async () => {
        const f = fixture();
        const ada = await createTenant(f, 'ada@example.com');
        const store = queueingStore(f);
        const queue = new KyselyEmbeddingQueue(f.storage.db);
        const ids = [await add(store, ada, 'one'), await add(store, ada, 'two'), await add(store, ada, 'three')];
        const first = await queue.claim(T0, 2, T0 + 1000);
        expect(first.map((j) => j.content)).toEqual(['one', 'two']);
        expect(first[0]).toMatchObject({ memoryId: ids[0], workspaceId: ada.workspace.id, attempts: 0, leasedUntil: T0 + 1000 });
        expect((await queue.claim(T0, 10, T0 + 1000)).map((j) => j.content)).toEqual(['three']);
        expect(await queue.claim(T0 + 999, 10, T0 + 2000)).toEqual([]);
        // The first worker died: its lease runs out and the jobs are claimed again.
        expect((await queue.claim(T0 + 1000, 10, T0 + 3000)).map((j) => j.content).sort()).toEqual(['one', 'three', 'two']);
        expect(await queue.pending()).toBe(3);
        expect(await queue.pending(ada.workspace.id)).toBe(3);
        expect(await queue.pending('ws_other')).toBe(0);
      });

      it('stores the vector and removes the job; drops a vector of text that changed since the claim', async () => {
        const f = fixture();
        const ada = await createTenant(f, 'ada@example.com');
        const store = queueingStore(f);
        const queue = new KyselyEmbeddingQueue(f.storage.db);
        const index = new KyselyVectorIndex(f.storage.db, MODEL);
        const kept = await add(store, ada, 'kept as is');
        const changed = await add(store, ada, 'about to change');
        const jobs = await queue.claim(T0, 10, T0 + 1000);
        await store.update(scopeOf(ada), changed, { content: 'changed', contentHash: newMemory(ada, 'changed').contentHash, now: T0 + 1 }, auditEvent('memory.update'));
        const stored = await queue.complete(
          jobs.map((job) => ({ job, vector: vec(1, 0, 0, 0) })),
          MODEL,
          T0 + 2,
        );
        expect(stored).toBe(1);
        expect((await index.query(ada.workspace.id, vec(1, 0, 0, 0), 10)).map((h) => h.memoryId)).toEqual([kept]);
        // The changed memory's new job is still there, due, with the new text.
        const again = await queue.claim(T0 + 2, 10, T0 + 5000);
        expect(again.map((j) => [j.memoryId, j.content])).toEqual([[changed, 'changed']]);
        const row = await f.storage.db.selectFrom('memory_vectors').selectAll().where('memory_id', '=', kept).executeTakeFirstOrThrow();
        expect(row).toMatchObject({ workspace_id: ada.workspace.id, model_id: MODEL.id, dimensions: 4 });
        expect(Buffer.from(row.vector).length).toBe(16);
      });

      it('records a failure with its error and next attempt, and drops jobs of deleted memories', async () => {
        const f = fixture();
        const ada = await createTenant(f, 'ada@example.com');
        const store = queueingStore(f);
        const queue = new KyselyEmbeddingQueue(f.storage.db);
        const failing = await add(store, ada, 'fails');
        const gone = await add(store, ada, 'gone');
        await store.deleteMany(scopeOf(ada), { ids: [gone] }, T0, () => auditEvent('memory.delete'));
        const jobs = await queue.claim(T0, 10, T0 + 1000);
        expect(jobs.map((j) => j.memoryId)).toEqual([failing]);
        expect(await jobIds(f)).toEqual([failing]);
        await queue.fail(jobs, 'provider down', T0 + 4000);
        const row = await f.storage.db.selectFrom('embedding_jobs').selectAll().executeTakeFirstOrThrow();
        expect(row).toMatchObject({ memory_id: failing, last_error: 'provider down' });
        expect(Number(row.attempts)).toBe(1);
        expect(Number(row.next_attempt_at)).toBe(T0 + 4000);
        expect(await queue.claim(T0 + 3999, 10, T0 + 9000)).toEqual([]);
        expect((await queue.claim(T0 + 4000, 10, T0 + 9000)).map((j) => j.attempts)).toEqual([1]);
      });
    });

    describe('embedding queue: reindex', () => {
      it('queues memories without a current vector, all of them with `all`, per workspace, and drops vectors of deleted memories', async () => {
        const f = fixture();
        const ada = await createTenant(f, 'ada@example.com');
        const bob = await createTenant(f, 'bob@example.com');
        // Written without embeddings on (an embedder configured later): nothing queued.
        const plain = (t: Tenant, text: string) =>
          f.memories.insertMany(scopeOf(t), [newMemory(t, text)], (m) => auditEvent('memory.create', { targetId: m.id })).then(([o]) => o!.memory.id);
        const fresh = await plain(ada, 'fresh');
        const stale = await plain(ada, 'stale');
        const missing = await plain(ada, 'missing');
        const deleted = await plain(ada, 'deleted');
        const bobs = await plain(bob, 'bob');
        await new KyselyVectorIndex(f.storage.db, MODEL).upsert(ada.workspace.id, [fresh, deleted].map((memoryId) => ({ memoryId, vector: vec(1, 0, 0, 0) })));
        await new KyselyVectorIndex(f.storage.db, OTHER_MODEL).upsert(ada.workspace.id, [{ memoryId: stale, vector: vec(1, 0, 0, 0) }]);
        await f.memories.deleteMany(scopeOf(ada), { ids: [deleted] }, T0, () => auditEvent('memory.delete'));
        const queue = new KyselyEmbeddingQueue(f.storage.db);

        expect(await queue.enqueueStale(MODEL.id, { workspaceId: ada.workspace.id }, T0)).toBe(2);
        expect((await jobIds(f)).sort()).toEqual([stale, missing].sort());
        expect(await f.storage.db.selectFrom('memory_vectors').select('memory_id').where('memory_id', '=', deleted).executeTakeFirst()).toBeUndefined();
        // Idempotent: running it again (an interrupted reindex) queues nothing twice.
        expect(await queue.enqueueStale(MODEL.id, { workspaceId: ada.workspace.id }, T0)).toBe(2);
        expect(await queue.enqueueStale(MODEL.id, { workspaceId: ada.workspace.id, all: true }, T0)).toBe(3);
        expect(await queue.enqueueStale(MODEL.id, {}, T0)).toBe(4);
        expect(await jobIds(f)).toContain(bobs);
      });

      it('makes backed-off jobs due again', async () => {
        const f = fixture();
        const ada = await createTenant(f, 'ada@example.com');
        const queue = new KyselyEmbeddingQueue(f.storage.db);
        await add(queueingStore(f), ada, 'waiting');
        await queue.fail(await queue.claim(T0, 10, T0 + 10), 'down', T0 + 600_000);
        expect(await queue.claim(T0 + 1, 10, T0 + 100)).toEqual([]);
        await queue.enqueueStale(MODEL.id, {}, T0 + 1);
        expect(await queue.claim(T0 + 1, 10, T0 + 100)).toHaveLength(1);
      });
    });
  });
}
