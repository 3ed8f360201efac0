import { createRequire } from 'node:module';
import { sql, type Kysely, type SelectQueryBuilder } from 'kysely';
import type { MemoryFilters } from '../core/memories/memory-store.js';
import type { EmbeddingJob, EmbeddingQueue } from '../core/search/embedding-worker.js';
import { normalise, type VectorHit, type VectorIndex } from '../core/search/embedder.js';
import type { Storage } from './db.js';
import type { Database } from './schema.js';

/**
 * How nearest vectors are found in this deployment, chosen once at start-up (`chooseVectorSearch`):
 * - `exact`: the workspace's vectors are read and scored with a dot product in JS. Always available;
 *   about 3.6 ms per 10k vectors at 384 dimensions, fine for personal and team workspaces.
 * - `sqlite-vec`: the same exact search inside SQLite (`vec_distance_cosine` over the stored blobs), which
 *   saves copying every vector into JS. Used when the sqlite-vec extension loads.
 * - `pgvector`: exact search inside PostgreSQL over a `vector` column kept beside the bytea, used when the
 *   server offers the `vector` extension. TODO(v2): an HNSW index once workspaces pass ~100k vectors;
 *   until then a scan of one workspace's rows is as fast as the index and never misses a neighbour.
 */
export type VectorSearchKind = 'exact' | 'sqlite-vec' | 'pgvector';

export interface VectorSearchChoice {
  readonly kind: VectorSearchKind;
  /** The one line logged at start-up: which path, and why not a faster one. */
  readonly reason: string;
}

type Db = Kysely<Database>;

/** Float32 little-endian bytes, the stored form (and sqlite-vec's own). Every supported platform is little-endian. */
export function toBlob(vector: Float32Array): Buffer {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
}

export function fromBlob(blob: Uint8Array): Float32Array {
  // A copy: the driver's Buffer may sit at an offset that is not a multiple of 4 in a shared pool.
  const copy = new Uint8Array(blob.byteLength);
  copy.set(blob);
  return new Float32Array(copy.buffer);
}

/**
 * Queues (or re-queues, resetting attempts and backoff) an embedding job per memory. Called by the memory
 * store inside the transaction that writes the memory, so the job exists exactly when the text does.
 */
export async function enqueueEmbeddings(db: Db, workspaceId: string, memoryIds: readonly string[], now: number): Promise<void> {
  if (memoryIds.length === 0) return;
  await db
    .insertInto('embedding_jobs')
    .values(memoryIds.map((id) => ({ memory_id: id, workspace_id: workspaceId, attempts: 0, next_attempt_at: now, last_error: null, created_at: now })))
    .onConflict((oc) => oc.column('memory_id').doUpdateSet({ attempts: 0, next_attempt_at: now, last_error: null, created_at: now }))
    .execute();
}

/**
 * Picks the vector search path for this database and prepares it: loads sqlite-vec on SQLite; on
 * PostgreSQL creates the `vector` extension and the `embedding` column when the server offers it. Any
 * failure falls back to `exact`, with the reason.
 */
export async function chooseVectorSearch(storage: Storage): Promise<VectorSearchChoice> {
  if (storage.sqlite) {
    try {
      const require = createRequire(import.meta.url);
      const sqliteVec = require('sqlite-vec') as { load(db: unknown): void };
      sqliteVec.load(storage.sqlite);
      return { kind: 'sqlite-vec', reason: 'vector search: sqlite-vec loaded; exact search runs inside SQLite' };
    } catch (err) {
      return { kind: 'exact', reason: `vector search: sqlite-vec did not load (${(err as Error).message}); using exact search in the application` };
    }
  }
  const available = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_available_extensions WHERE name = 'vector'`.execute(storage.db);
  if ((available.rows[0]?.n ?? 0) === 0) {
    return {
      kind: 'exact',
      reason: 'vector search: the pgvector extension is not installed on this PostgreSQL server; using exact search in the application (fine for workspaces up to ~100k memories; install pgvector to search inside the database)',
    };
  }
  try {
    await preparePgvector(storage.db);
    return { kind: 'pgvector', reason: 'vector search: pgvector available; exact search runs inside PostgreSQL' };
  } catch (err) {
    return { kind: 'exact', reason: `vector search: pgvector is available but could not be enabled (${(err as Error).message}); using exact search in the application` };
  }
}

/** Lock id for preparing pgvector, so instances starting together do the DDL once. */
const PGVECTOR_LOCK_ID = 0x63617674; // "cavt"

/**
 * The `embedding vector` column is not in the migrations, which must be the same with and without the
 * extension. It is added here, and filled from the bytea for vectors written before pgvector was there.
 */
async function preparePgvector(db: Db): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(${PGVECTOR_LOCK_ID})`.execute(trx);
    await sql`CREATE EXTENSION IF NOT EXISTS vector`.execute(trx);
    await sql`ALTER TABLE memory_vectors ADD COLUMN IF NOT EXISTS embedding vector`.execute(trx);
  });
  for (;;) {
    const rows = await sql<{ memory_id: string; vector: Buffer }>`SELECT memory_id, vector FROM memory_vectors WHERE embedding IS NULL LIMIT 500`.execute(db);
    if (rows.rows.length === 0) return;
    for (const r of rows.rows) {
      await sql`UPDATE memory_vectors SET embedding = ${pgvectorLiteral(fromBlob(r.vector))}::vector WHERE memory_id = ${r.memory_id}`.execute(db);
    }
  }
}

/** pgvector's text form, `[0.1,0.2,…]`; numbers only, bound as a parameter. */
function pgvectorLiteral(v: Float32Array): string {
  return `[${Array.from(v).join(',')}]`;
}

type VectorQuery = SelectQueryBuilder<Database & { v: Database['memory_vectors']; m: Database['memories'] }, 'v' | 'm', object>;

/** `VectorIndex` over Kysely for one model. Every statement is bound to one workspace. */
export class KyselyVectorIndex implements VectorIndex {
  constructor(
    private readonly db: Db,
    private readonly model: { readonly id: string; readonly dimensions: number },
    private readonly kind: VectorSearchKind = 'exact',
    private readonly clock: () => number = Date.now,
  ) {}

  get modelId(): string {
    return this.model.id;
  }

  async upsert(workspaceId: string, items: readonly { memoryId: string; vector: Float32Array }[]): Promise<void> {
    if (items.length === 0) return;
    await this.db.transaction().execute(async (trx) => {
      // Only memories of this workspace: an id from elsewhere inserts nothing.
      const own = new Set(
        (await trx.selectFrom('memories').select('id').where('workspace_id', '=', workspaceId).where('id', 'in', items.map((i) => i.memoryId)).execute()).map((r) => r.id),
      );
      const now = this.clock();
      for (const item of items) {
        if (own.has(item.memoryId)) await writeVector(trx, this.kind, workspaceId, item.memoryId, this.model, item.vector, now);
      }
    });
  }

  async remove(workspaceId: string, memoryIds: readonly string[]): Promise<void> {
    if (memoryIds.length === 0) return;
    await this.db.deleteFrom('memory_vectors').where('workspace_id', '=', workspaceId).where('memory_id', 'in', [...memoryIds]).execute();
  }

  async hasVectors(workspaceId: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('memory_vectors')
      .select('memory_id')
      .where('workspace_id', '=', workspaceId)
      .where('model_id', '=', this.model.id)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  async query(workspaceId: string, vector: Float32Array, limit: number, filters: MemoryFilters = {}): Promise<VectorHit[]> {
    if (vector.length !== this.model.dimensions) throw new Error(`query vector has ${vector.length} dimensions, the index ${this.model.dimensions}`);
    const q = normalise(vector);
    const base = this.candidates(workspaceId, filters);
    if (this.kind === 'sqlite-vec') {
      const rows = await base
        .select(['v.memory_id', sql<number>`1 - vec_distance_cosine(v.vector, ${toBlob(q)})`.as('similarity')])
        .orderBy('similarity', 'desc')
        .orderBy('m.seq', 'desc')
        .limit(limit)
        .execute();
      return rows.map((r) => ({ memoryId: r.memory_id, similarity: Number(r.similarity) }));
    }
    if (this.kind === 'pgvector') {
      const distance = sql<number>`(v.embedding <=> ${pgvectorLiteral(q)}::vector)`;
      const rows = await base
        .select(['v.memory_id', sql<number>`1 - ${distance}`.as('similarity')])
        .orderBy(distance)
        .orderBy('m.seq', 'desc')
        .limit(limit)
        .execute();
      return rows.map((r) => ({ memoryId: r.memory_id, similarity: Number(r.similarity) }));
    }
    const rows = await base.select(['v.memory_id', 'v.vector', 'm.seq']).execute();
    return topK(
      rows.map((r) => ({ memoryId: r.memory_id, seq: Number(r.seq), vector: fromBlob(r.vector) })),
      q,
      limit,
    );
  }

  /** Vectors of this model for the workspace's memories that match the filters (active only by default). */
  private candidates(workspaceId: string, f: MemoryFilters): VectorQuery {
    let q = this.db
      .selectFrom('memory_vectors as v')
      .innerJoin('memories as m', 'm.id', 'v.memory_id')
      .where('v.workspace_id', '=', workspaceId)
      .where('m.workspace_id', '=', workspaceId)
      .where('v.model_id', '=', this.model.id)
      .where('v.dimensions', '=', this.model.dimensions)
      .where('m.state', 'in', [...(f.states && f.states.length > 0 ? f.states : ['active' as const])]);
    if (f.appId) q = q.where('m.app_id', '=', f.appId);
    if (f.authorUserId) q = q.where('m.author_user_id', '=', f.authorUserId);
    if (f.since !== undefined) q = q.where('m.created_at', '>=', f.since);
    if (f.until !== undefined) q = q.where('m.created_at', '<', f.until);
    const deletedSince = f.deletedSince;
    if (deletedSince !== undefined) q = q.where((eb) => eb.or([eb('m.state', '<>', 'deleted'), eb('m.updated_at', '>=', deletedSince)]));
    return q as unknown as VectorQuery;
  }
}

async function writeVector(db: Db, kind: VectorSearchKind, workspaceId: string, memoryId: string, model: { id: string; dimensions: number }, vector: Float32Array, now: number) {
  const unit = normalise(vector);
  const values = { memory_id: memoryId, workspace_id: workspaceId, model_id: model.id, dimensions: unit.length, vector: toBlob(unit), updated_at: now };
  const set = { model_id: model.id, dimensions: unit.length, vector: toBlob(unit), updated_at: now };
  const extra = kind === 'pgvector' ? { embedding: sql`${pgvectorLiteral(unit)}::vector` } : {};
  await db
    .insertInto('memory_vectors')
    .values({ ...values, ...extra } as never)
    .onConflict((oc) => oc.column('memory_id').doUpdateSet({ ...set, ...extra } as never))
    .execute();
}

/** The `limit` most similar, best first; equal similarity puts the newer memory first, as lexical search does. */
function topK(rows: readonly { memoryId: string; seq: number; vector: Float32Array }[], q: Float32Array, limit: number): VectorHit[] {
  const scored = rows.map((r) => ({ memoryId: r.memoryId, seq: r.seq, similarity: dot(r.vector, q) }));
  scored.sort((a, b) => b.similarity - a.similarity || b.seq - a.seq);
  return scored.slice(0, limit).map(({ memoryId, similarity }) => ({ memoryId, similarity }));
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** The `embedding_jobs` queue over Kysely; `complete` writes vectors the same way `KyselyVectorIndex` does. */
export class KyselyEmbeddingQueue implements EmbeddingQueue {
  constructor(
    private readonly db: Db,
    private readonly kind: VectorSearchKind = 'exact',
  ) {}

  async claim(now: number, limit: number, leasedUntil: number): Promise<EmbeddingJob[]> {
    const due = await this.db
      .selectFrom('embedding_jobs as j')
      .innerJoin('memories as m', 'm.id', 'j.memory_id')
      .select(['j.memory_id', 'j.workspace_id', 'j.attempts', 'j.next_attempt_at', 'm.content', 'm.content_hash', 'm.state'])
      .where('j.next_attempt_at', '<=', now)
      .orderBy('j.next_attempt_at')
      .orderBy('j.created_at')
      .limit(limit)
      .execute();
    const claimed: EmbeddingJob[] = [];
    for (const row of due) {
      if (row.state === 'deleted') {
        await this.db.deleteFrom('embedding_jobs').where('memory_id', '=', row.memory_id).execute();
        continue;
      }
      // Conditional on the value just read: of two workers racing for a job, one update matches.
      const r = await this.db
        .updateTable('embedding_jobs')
        .set({ next_attempt_at: leasedUntil })
        .where('memory_id', '=', row.memory_id)
        .where('next_attempt_at', '=', row.next_attempt_at)
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) === 1) {
        claimed.push({
          memoryId: row.memory_id,
          workspaceId: row.workspace_id,
          attempts: Number(row.attempts),
          content: row.content,
          contentHash: row.content_hash,
          leasedUntil,
        });
      }
    }
    return claimed;
  }

  async complete(done: readonly { job: EmbeddingJob; vector: Float32Array }[], model: { id: string; dimensions: number }, now: number): Promise<number> {
    if (done.length === 0) return 0;
    return this.db.transaction().execute(async (trx) => {
      const current = new Map(
        (
          await trx
            .selectFrom('memories')
            .select(['id', 'content_hash', 'state'])
            .where('id', 'in', done.map((d) => d.job.memoryId))
            .execute()
        ).map((r) => [r.id, r]),
      );
      let stored = 0;
      for (const { job, vector } of done) {
        const memory = current.get(job.memoryId);
        if (!memory || memory.state === 'deleted') {
          await trx.deleteFrom('embedding_jobs').where('memory_id', '=', job.memoryId).execute();
          continue;
        }
        // The text changed after the claim: that change re-queued the job (resetting its lease), so this
        // vector is of old text and is dropped; the new job embeds the new text.
        if (memory.content_hash !== job.contentHash) continue;
        await writeVector(trx, this.kind, job.workspaceId, job.memoryId, model, vector, now);
        await trx.deleteFrom('embedding_jobs').where('memory_id', '=', job.memoryId).where('next_attempt_at', '=', job.leasedUntil).execute();
        stored++;
      }
      return stored;
    });
  }

  async fail(jobs: readonly EmbeddingJob[], error: string, nextAttemptAt: number): Promise<void> {
    for (const job of jobs) {
      await this.db
        .updateTable('embedding_jobs')
        .set({ attempts: job.attempts + 1, last_error: error, next_attempt_at: nextAttemptAt })
        .where('memory_id', '=', job.memoryId)
        .where('next_attempt_at', '=', job.leasedUntil)
        .execute();
    }
  }

  async pending(workspaceId?: string): Promise<number> {
    let q = this.db.selectFrom('embedding_jobs').select(sql<number>`count(*)`.as('n'));
    if (workspaceId) q = q.where('workspace_id', '=', workspaceId);
    return Number((await q.executeTakeFirstOrThrow()).n);
  }

  /**
   * For `cairn reindex`: queues every live memory without a vector of model `modelId` (none yet, or another
   * model's; an embedder id names model and dimensions), or every live memory with `all`; makes every queued job of the scope due
   * now; and drops vectors of deleted memories. Returns how many jobs are now pending in the scope.
   */
  async enqueueStale(modelId: string, scope: { workspaceId?: string; all?: boolean }, now: number): Promise<number> {
    await this.db.transaction().execute(async (trx) => {
      let stale = trx
        .selectFrom('memories as m')
        .leftJoin('memory_vectors as v', 'v.memory_id', 'm.id')
        .select(['m.id', 'm.workspace_id', sql<number>`0`.as('attempts'), sql<number>`${now}`.as('next_attempt_at'), sql<null>`NULL`.as('last_error'), sql<number>`${now}`.as('created_at')])
        .where('m.state', '<>', 'deleted');
      if (scope.workspaceId) stale = stale.where('m.workspace_id', '=', scope.workspaceId);
      if (!scope.all) {
        stale = stale.where((eb) => eb.or([eb('v.memory_id', 'is', null), eb('v.model_id', '<>', modelId)]));
      }
      await trx
        .insertInto('embedding_jobs')
        .columns(['memory_id', 'workspace_id', 'attempts', 'next_attempt_at', 'last_error', 'created_at'])
        .expression(stale)
        .onConflict((oc) => oc.column('memory_id').doNothing())
        .execute();
      let due = trx.updateTable('embedding_jobs').set({ next_attempt_at: now, attempts: 0 }).where('next_attempt_at', '>', now);
      if (scope.workspaceId) due = due.where('workspace_id', '=', scope.workspaceId);
      await due.execute();
      let dead = trx.deleteFrom('memory_vectors').where('memory_id', 'in', (eb) => eb.selectFrom('memories').select('id').where('state', '=', 'deleted'));
      if (scope.workspaceId) dead = dead.where('workspace_id', '=', scope.workspaceId);
      await dead.execute();
    });
    return this.pending(scope.workspaceId);
  }
}
