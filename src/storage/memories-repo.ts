import { sql, type Kysely, type Selectable } from 'kysely';
import type { AuditEvent } from '../core/audit/audit.js';
import { MEMORY_STATES, type Memory, type MemoryState, type MemoryVersion } from '../core/memories/memory.js';
import type {
  InsertOutcome,
  ListQuery,
  MemoryFacets,
  MemoryFilters,
  MemoryPatch,
  MemoryStore,
  SearchHit,
  SearchQuery,
  UpdateOutcome,
  WorkspaceScope,
} from '../core/memories/memory-store.js';
import { toAuditRow } from './audit-repo.js';
import { isUniqueViolation } from './db-errors.js';
import type { MemoryQuery, StorageDialect } from './dialects/dialect.js';
import { parseJson, type Database, type MemoriesTable, type MemoryVersionsTable } from './schema.js';
import { enqueueEmbeddings } from './vectors-repo.js';

type Row = Selectable<MemoriesTable> & { app_name: string };

export interface MemoryStoreOptions {
  /** Queue an embedding job with every new memory and content change (on when an embedder is configured). */
  readonly enqueueEmbeddings?: boolean;
}

/** `MemoryStore` over Kysely. Every statement carries `workspace_id = scope.workspaceId`. */
export class KyselyMemoryStore implements MemoryStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: StorageDialect,
    private readonly options: MemoryStoreOptions = {},
  ) {}

  async insertMany(scope: WorkspaceScope, items: Parameters<MemoryStore['insertMany']>[1], audit: (m: Memory) => AuditEvent): Promise<InsertOutcome[]> {
    return this.db.transaction().execute(async (trx) => {
      const out: InsertOutcome[] = [];
      for (const item of items) {
        const inserted = await trx
          .insertInto('memories')
          .values({
            id: item.id,
            workspace_id: scope.workspaceId,
            author_user_id: item.authorUserId,
            app_id: item.appId,
            content: item.content,
            metadata: JSON.stringify(item.metadata),
            state: 'active',
            content_hash: item.contentHash,
            created_at: item.now,
            updated_at: item.now,
          })
          // The partial unique index (workspace_id, content_hash) WHERE state <> 'deleted' makes a
          // concurrent duplicate a no-op here rather than a second copy. The predicate must be a literal:
          // SQLite matches it against the index's WHERE text, and a bound parameter does not match.
          .onConflict((oc) => oc.columns(['workspace_id', 'content_hash']).where(sql.ref('state'), '<>', sql.lit('deleted')).doNothing())
          .returning('id')
          .executeTakeFirst();
        const row = await scoped(trx, scope)
          .where(inserted ? 'm.id' : 'm.content_hash', '=', inserted ? item.id : item.contentHash)
          .where('m.state', '<>', 'deleted')
          .executeTakeFirstOrThrow();
        const memory = toMemory(row as Row);
        if (inserted) {
          const event = audit(memory);
          await trx.insertInto('audit_log').values(toAuditRow(event)).execute();
          await recordVersions(trx, scope, [item.id], 'create', event);
        }
        if (inserted && this.options.enqueueEmbeddings) await enqueueEmbeddings(trx, scope.workspaceId, [item.id], item.now);
        out.push({ memory, created: Boolean(inserted) });
      }
      return out;
    });
  }

  async get(scope: WorkspaceScope, id: string): Promise<Memory | undefined> {
    const row = await scoped(this.db, scope).where('m.id', '=', id).executeTakeFirst();
    return row ? toMemory(row as Row) : undefined;
  }

  async getMany(scope: WorkspaceScope, ids: readonly string[]): Promise<Memory[]> {
    if (ids.length === 0) return [];
    const rows = await scoped(this.db, scope).where('m.id', 'in', [...ids]).execute();
    return rows.map((r) => toMemory(r as Row));
  }

  async list(scope: WorkspaceScope, query: ListQuery): Promise<Memory[]> {
    let q = filtered(scoped(this.db, scope), query);
    if (query.cursor) {
      const { createdAt, id } = query.cursor;
      q = q.where((eb) => eb.or([eb('m.created_at', '<', createdAt), eb.and([eb('m.created_at', '=', createdAt), eb('m.id', '<', id)])]));
    }
    const rows = await q.orderBy('m.created_at', 'desc').orderBy('m.id', 'desc').limit(query.limit).execute();
    return rows.map((r) => toMemory(r as Row));
  }

  async search(scope: WorkspaceScope, query: SearchQuery): Promise<SearchHit[]> {
    const rows = await this.dialect.rankedSearch(this.db, query.text, { limit: query.limit, scope: (q) => filtered(inWorkspace(q, scope), query), scopeKey: scope.workspaceId });
    return rows.map((r) => ({ memory: toMemory(r as Row), score: Number((r as { score: unknown }).score) }));
  }

  async update(scope: WorkspaceScope, id: string, patch: MemoryPatch, audit: AuditEvent): Promise<UpdateOutcome> {
    try {
      return await this.db.transaction().execute(async (trx) => {
        const current = await trx.selectFrom('memories').select(['state', 'content_hash', 'updated_at']).where('workspace_id', '=', scope.workspaceId).where('id', '=', id).executeTakeFirst();
        if (!current) return { ok: false, reason: 'NOT_FOUND' } as const;
        const wasDeleted = current.state === 'deleted';
        // Only a restore changes a deleted memory, so its updated_at stays the time it was deleted (retention).
        if (wasDeleted && (patch.state === undefined || patch.state === 'deleted')) return { ok: false, reason: 'NOT_FOUND' } as const;
        if (wasDeleted && patch.restorableSince !== undefined && Number(current.updated_at) < patch.restorableSince) return { ok: false, reason: 'EXPIRED' } as const;
        const values: Partial<Record<keyof MemoriesTable, unknown>> = { updated_at: patch.now };
        if (patch.content !== undefined) values.content = patch.content;
        if (patch.contentHash !== undefined) values.content_hash = patch.contentHash;
        if (patch.metadata !== undefined) values.metadata = JSON.stringify(patch.metadata);
        if (patch.state !== undefined) values.state = patch.state;
        // The state read above is checked again by the UPDATE itself, so a delete (or a purge) that lands in between
        // cannot be overwritten by an edit meant for the live memory.
        let change = trx.updateTable('memories').set(values as never).where('workspace_id', '=', scope.workspaceId).where('id', '=', id);
        change = wasDeleted ? change.where('state', '=', 'deleted').where('updated_at', '=', current.updated_at) : change.where('state', '<>', 'deleted');
        const changed = await change.executeTakeFirst();
        if (Number(changed.numUpdatedRows) === 0) return { ok: false, reason: 'NOT_FOUND' } as const;
        await trx.insertInto('audit_log').values(toAuditRow(audit)).execute();
        await recordVersions(trx, scope, [id], patch.state === 'deleted' && current.state !== 'deleted' ? 'delete' : 'update', audit);
        if (this.options.enqueueEmbeddings && patch.contentHash !== undefined && patch.contentHash !== current.content_hash) {
          await enqueueEmbeddings(trx, scope.workspaceId, [id], patch.now);
        }
        const row = await scoped(trx, scope).where('m.id', '=', id).executeTakeFirstOrThrow();
        return { ok: true, memory: toMemory(row as Row) } as const;
      });
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      // A restore (state only) collides on the memory's current text, so the hash is read back when the patch has none.
      const hash =
        patch.contentHash ??
        (await this.db.selectFrom('memories').select('content_hash').where('workspace_id', '=', scope.workspaceId).where('id', '=', id).executeTakeFirst())?.content_hash;
      const existing = hash
        ? await this.db
            .selectFrom('memories')
            .select('id')
            .where('workspace_id', '=', scope.workspaceId)
            .where('content_hash', '=', hash)
            .where('state', '<>', 'deleted')
            .where('id', '<>', id)
            .executeTakeFirst()
        : undefined;
      return { ok: false, reason: 'DUPLICATE', existingId: existing?.id ?? '' };
    }
  }

  async deleteMany(
    scope: WorkspaceScope,
    target: { ids?: readonly string[]; filters?: Omit<MemoryFilters, 'states'> },
    now: number,
    audit: (count: number) => AuditEvent,
  ): Promise<number> {
    if (target.ids && target.ids.length === 0) return 0;
    return this.db.transaction().execute(async (trx) => {
      let q = trx.updateTable('memories').set({ state: 'deleted', updated_at: now }).where('workspace_id', '=', scope.workspaceId).where('state', '<>', 'deleted');
      if (target.ids) q = q.where('id', 'in', [...target.ids]);
      const f = target.filters ?? {};
      if (f.appId) q = q.where('app_id', '=', f.appId);
      if (f.authorUserId) q = q.where('author_user_id', '=', f.authorUserId);
      if (f.since !== undefined) q = q.where('created_at', '>=', f.since);
      if (f.until !== undefined) q = q.where('created_at', '<', f.until);
      // RETURNING names exactly the rows this statement changed, so each gets its version (a concurrent insert on
      // PostgreSQL cannot slip between a count and a second query).
      const changed = (await q.returning('id').execute()).map((r) => r.id);
      if (changed.length > 0) {
        const event = audit(changed.length);
        await trx.insertInto('audit_log').values(toAuditRow(event)).execute();
        for (let i = 0; i < changed.length; i += VERSION_BATCH) await recordVersions(trx, scope, changed.slice(i, i + VERSION_BATCH), 'delete', event);
      }
      return changed.length;
    });
  }

  async history(scope: WorkspaceScope, id: string): Promise<MemoryVersion[]> {
    const rows = await this.db
      .selectFrom('memory_versions as v')
      .leftJoin('apps as a', (j) => j.onRef('a.id', '=', 'v.app_id').onRef('a.workspace_id', '=', 'v.workspace_id'))
      .selectAll('v')
      .select('a.name as app_name')
      .where('v.workspace_id', '=', scope.workspaceId)
      .where('v.memory_id', '=', id)
      .orderBy('v.version', 'desc')
      .execute();
    return rows.map(toVersion);
  }

  async count(scope: WorkspaceScope, deletedSince?: number): Promise<Record<MemoryState, number>> {
    const rows = await this.db
      .selectFrom('memories')
      .select(['state', sql<number>`count(*)`.as('n')])
      .where('workspace_id', '=', scope.workspaceId)
      .$if(deletedSince !== undefined, (q) => q.where((eb) => eb.or([eb('state', '<>', 'deleted'), eb('updated_at', '>=', deletedSince!)])))
      .groupBy('state')
      .execute();
    const out: Record<MemoryState, number> = { active: 0, archived: 0, deleted: 0 };
    for (const r of rows) out[r.state] = Number(r.n);
    return out;
  }

  async facets(scope: WorkspaceScope, deletedSince?: number): Promise<MemoryFacets> {
    // One pass over the workspace's rows; the few apps and authors found are then named by id.
    const groups = await this.db
      .selectFrom('memories')
      .select(['app_id', 'author_user_id', 'state', sql<number>`count(*)`.as('n')])
      .where('workspace_id', '=', scope.workspaceId)
      .$if(deletedSince !== undefined, (q) => q.where((eb) => eb.or([eb('state', '<>', 'deleted'), eb('updated_at', '>=', deletedSince!)])))
      .groupBy(['app_id', 'author_user_id', 'state'])
      .execute();
    const counts: Record<MemoryState, number> = { active: 0, archived: 0, deleted: 0 };
    const perApp = new Map<string, number>();
    const perAuthor = new Map<string, number>();
    for (const g of groups) {
      const n = Number(g.n);
      counts[g.state] += n;
      if (g.state === 'deleted') continue;
      perApp.set(g.app_id, (perApp.get(g.app_id) ?? 0) + n);
      perAuthor.set(g.author_user_id, (perAuthor.get(g.author_user_id) ?? 0) + n);
    }
    const [apps, users] = await Promise.all([
      perApp.size === 0 ? [] : this.db.selectFrom('apps').select(['id', 'name']).where('workspace_id', '=', scope.workspaceId).where('id', 'in', [...perApp.keys()]).execute(),
      perAuthor.size === 0 ? [] : this.db.selectFrom('users').select(['id', 'name', 'email']).where('id', 'in', [...perAuthor.keys()]).execute(),
    ]);
    const byCount = <T extends { count: number }>(key: (x: T) => string) => (a: T, b: T) => b.count - a.count || (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
    return {
      counts,
      apps: apps.map((a) => ({ id: a.id, name: a.name, count: perApp.get(a.id) ?? 0 })).sort(byCount((a) => a.name)),
      authors: users.map((u) => ({ userId: u.id, name: u.name, email: u.email, count: perAuthor.get(u.id) ?? 0 })).sort(byCount((u) => u.email)),
    };
  }

}

/** Ids per INSERT … SELECT of versions (well below SQLite's 32,766 bound parameters). */
const VERSION_BATCH = 500;

/**
 * Appends the current row of each memory in `ids` (of the scope's workspace) to its history, numbered one
 * after its latest version, at the row's `updated_at`, with the actor of `event`. Runs inside the change's own
 * transaction.
 */
async function recordVersions(trx: Kysely<Database>, scope: WorkspaceScope, ids: readonly string[], action: MemoryVersion['action'], event: AuditEvent): Promise<void> {
  await trx
    .insertInto('memory_versions')
    .columns(['memory_id', 'version', 'workspace_id', 'action', 'content', 'metadata', 'state', 'at', 'user_id', 'app_id', 'credential_kind', 'credential_id', 'request_id'])
    .expression((eb) =>
      eb
        .selectFrom('memories as m')
        .select((s) => [
          'm.id',
          sql<number>`coalesce((SELECT max(v.version) FROM memory_versions v WHERE v.memory_id = m.id), 0) + 1`.as('version'),
          'm.workspace_id',
          sql<string>`cast(${action} as text)`.as('action'),
          'm.content',
          'm.metadata',
          'm.state',
          // The change's own time: the row's updated_at was just set to it.
          'm.updated_at',
          // Typed casts: PostgreSQL cannot infer a parameter's type from an INSERT … SELECT's target column.
          sql<string | null>`cast(${event.userId} as text)`.as('user_id'),
          sql<string | null>`cast(${event.appId} as text)`.as('app_id'),
          sql<string | null>`cast(${event.credentialKind} as text)`.as('credential_kind'),
          sql<string | null>`cast(${event.credentialId} as text)`.as('credential_id'),
          sql<string | null>`cast(${event.requestId} as text)`.as('request_id'),
        ])
        .where('m.workspace_id', '=', scope.workspaceId)
        .where('m.id', 'in', [...ids]) as never,
    )
    .execute();
}

function toVersion(r: Selectable<MemoryVersionsTable> & { app_name: string | null }): MemoryVersion {
  const state = (MEMORY_STATES as readonly string[]).includes(r.state) ? (r.state as MemoryState) : 'active';
  return {
    version: Number(r.version),
    action: r.action,
    content: r.content,
    metadata: parseJson(r.metadata),
    state,
    at: Number(r.at),
    userId: r.user_id,
    app: r.app_id ? { id: r.app_id, name: r.app_name ?? r.app_id } : null,
    credential: r.credential_kind ? { kind: r.credential_kind, id: r.credential_id } : null,
    requestId: r.request_id,
  };
}

/** The only way this repository starts a read: memories of one workspace, with their app's name. */
function scoped(db: Kysely<Database>, scope: WorkspaceScope): MemoryQuery {
  return inWorkspace(db.selectFrom('memories as m').innerJoin('apps as a', 'a.id', 'm.app_id').selectAll('m').select('a.name as app_name') as unknown as MemoryQuery, scope);
}

/** Every memories query of this repository carries this condition, including the ones a dialect's search builds. */
function inWorkspace(q: MemoryQuery, scope: WorkspaceScope): MemoryQuery {
  return q.where('m.workspace_id', '=', scope.workspaceId);
}

function filtered(q: MemoryQuery, f: MemoryFilters): MemoryQuery {
  if (f.states && f.states.length > 0) q = q.where('m.state', 'in', [...f.states]);
  if (f.appId) q = q.where('m.app_id', '=', f.appId);
  if (f.authorUserId) q = q.where('m.author_user_id', '=', f.authorUserId);
  if (f.since !== undefined) q = q.where('m.created_at', '>=', f.since);
  if (f.until !== undefined) q = q.where('m.created_at', '<', f.until);
  const deletedSince = f.deletedSince;
  if (deletedSince !== undefined) q = q.where((eb) => eb.or([eb('m.state', '<>', 'deleted'), eb('m.updated_at', '>=', deletedSince)]));
  return q;
}

function toMemory(r: Row): Memory {
  return {
    id: r.id,
    workspaceId: r.workspace_id,
    authorUserId: r.author_user_id,
    appId: r.app_id,
    appName: r.app_name,
    content: r.content,
    metadata: parseJson(r.metadata),
    state: r.state,
    contentHash: r.content_hash,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}
