import { sql, type Kysely } from 'kysely';
import type { AuditEvent } from '../core/audit/audit.js';
import { newId } from '../core/ids.js';
import { contentHash, MEMORY_STATES, type MemoryState } from '../core/memories/memory.js';
import type { WorkspaceScope } from '../core/memories/memory-store.js';
import { derivedId, type ExportApp, type ExportMemory, type ExportVersion, type ImportMemory } from '../core/transfer/format.js';
import type { ExportCursor, ImportOutcome, ImportPlan, TransferStore } from '../core/transfer/transfer-store.js';
import { APP_ACCESS, type AppAccess } from '../core/users/user.js';
import { AppError } from '../errors/app-error.js';
import { toAuditRow } from './audit-repo.js';
import { isUniqueViolation } from './db-errors.js';
import { parseJson, type Database } from './schema.js';
import { enqueueEmbeddings } from './vectors-repo.js';

/** Memories per batch of statements: 200 rows × 11 columns stays well below SQLite's bound-parameter limit. */
const BATCH = 200;

export interface TransferStoreOptions {
  /** Queue an embedding job for every imported memory that is not deleted (on when an embedder is configured). */
  readonly enqueueEmbeddings?: boolean;
}

/** `TransferStore` over Kysely. Every read and write carries `workspace_id = scope.workspaceId`. */
export class KyselyTransferStore implements TransferStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly options: TransferStoreOptions = {},
  ) {}

  async apps(scope: WorkspaceScope): Promise<ExportApp[]> {
    const rows = await this.db.selectFrom('apps').select(['name', 'access']).where('workspace_id', '=', scope.workspaceId).orderBy('name').execute();
    // Sorted here too: the database's collation must not decide the bytes of an export.
    return rows.map((r) => ({ name: r.name, access: accessOf(r.access) })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async memoriesPage(scope: WorkspaceScope, after: ExportCursor | null, limit: number): Promise<ExportMemory[]> {
    let q = this.db
      .selectFrom('memories as m')
      .innerJoin('users as u', 'u.id', 'm.author_user_id')
      .innerJoin('apps as a', (j) => j.onRef('a.id', '=', 'm.app_id').onRef('a.workspace_id', '=', 'm.workspace_id'))
      .select(['m.id', 'm.content', 'm.metadata', 'm.state', 'm.created_at', 'm.updated_at', 'u.email', 'a.name as app_name'])
      .where('m.workspace_id', '=', scope.workspaceId);
    if (after) q = q.where((eb) => eb.or([eb('m.created_at', '>', after.createdAt), eb.and([eb('m.created_at', '=', after.createdAt), eb('m.id', '>', after.id)])]));
    const rows = await q.orderBy('m.created_at').orderBy('m.id').limit(limit).execute();
    return rows.map((r) => ({
      id: r.id,
      content: r.content,
      metadata: parseJson(r.metadata),
      state: r.state,
      createdAt: Number(r.created_at),
      updatedAt: Number(r.updated_at),
      authorEmail: r.email,
      appName: r.app_name,
    }));
  }

  async versionsOf(scope: WorkspaceScope, ids: readonly string[]): Promise<Map<string, ExportVersion[]>> {
    const out = new Map<string, ExportVersion[]>();
    if (ids.length === 0) return out;
    const rows = await this.db
      .selectFrom('memory_versions as v')
      .leftJoin('users as u', 'u.id', 'v.user_id')
      .leftJoin('apps as a', (j) => j.onRef('a.id', '=', 'v.app_id').onRef('a.workspace_id', '=', 'v.workspace_id'))
      .selectAll('v')
      .select(['u.email as by_email', 'a.name as app_name'])
      .where('v.workspace_id', '=', scope.workspaceId)
      .where('v.memory_id', 'in', [...ids])
      .orderBy('v.memory_id')
      .orderBy('v.version')
      .execute();
    for (const r of rows) {
      const list = out.get(r.memory_id) ?? out.set(r.memory_id, []).get(r.memory_id)!;
      list.push({
        version: Number(r.version),
        action: r.action,
        content: r.content,
        metadata: parseJson(r.metadata),
        state: stateOf(r.state),
        at: Number(r.at),
        byEmail: r.by_email ?? null,
        appName: r.app_name ?? null,
        credentialKind: r.credential_kind,
        credentialId: r.credential_id,
        requestId: r.request_id,
      });
    }
    return out;
  }

  async appendAudit(event: AuditEvent): Promise<void> {
    await this.db.insertInto('audit_log').values(toAuditRow(event)).execute();
  }

  async importAll(scope: WorkspaceScope, plan: ImportPlan, audit: (outcome: ImportOutcome) => AuditEvent, progress?: (done: number) => void): Promise<ImportOutcome> {
    try {
      return await this.importInTransaction(scope, plan, audit, progress);
    } catch (err) {
      // Only a concurrent write of the same ids or app names gets here (everything else was checked first).
      if (isUniqueViolation(err)) throw new AppError('CONFLICT', 'Another import or write changed the same memories or apps at the same time; nothing was imported. Run the import again: it is idempotent.');
      throw err;
    }
  }

  private async importInTransaction(scope: WorkspaceScope, plan: ImportPlan, audit: (outcome: ImportOutcome) => AuditEvent, progress?: (done: number) => void): Promise<ImportOutcome> {
    const ws = scope.workspaceId;
    return this.db.transaction().execute(async (trx) => {
      const apps = await ensureApps(trx, ws, plan);
      const members = await membersByEmail(trx, ws, plan.memories);
      const userOf = (email: string | null): string => (email !== null ? (members.get(email) ?? plan.fallbackUserId) : plan.fallbackUserId);
      const appOf = (name: string | null): string => (name === null ? plan.fallbackAppId : apps.ids.get(name)!);
      let created = 0;
      let unchanged = 0;
      let duplicates = 0;
      let reattributed = 0;
      const seen = new Set<string>();
      for (let i = 0; i < plan.memories.length; i += BATCH) {
        const batch = plan.memories.slice(i, i + BATCH);
        const ids = await placeIds(trx, ws, batch);
        const fresh: { m: ImportMemory; id: string }[] = [];
        for (const m of batch) {
          const id = ids.get(m.id);
          if (id === undefined) unchanged += 1;
          else if (seen.has(id)) duplicates += 1;
          else {
            seen.add(id);
            fresh.push({ m, id });
          }
        }
        if (fresh.length > 0) {
          const inserted = new Set(
            (
              await trx
                .insertInto('memories')
                .values(
                  fresh.map(({ m, id }) => ({
                    id,
                    workspace_id: ws,
                    author_user_id: userOf(m.authorEmail),
                    app_id: appOf(m.appName),
                    content: m.content,
                    metadata: JSON.stringify(m.metadata),
                    state: m.state,
                    content_hash: contentHash(m.content),
                    created_at: m.createdAt,
                    updated_at: m.updatedAt,
                  })),
                )
                // A live memory with the same text (the partial unique index) makes the row a duplicate, not an error.
                .onConflict((oc) => oc.columns(['workspace_id', 'content_hash']).where(sql.ref('state'), '<>', sql.lit('deleted')).doNothing())
                .returning('id')
                .execute()
            ).map((r) => r.id),
          );
          const written = fresh.filter(({ id }) => inserted.has(id));
          duplicates += fresh.length - written.length;
          created += written.length;
          reattributed += written.filter(({ m }) => m.authorEmail !== null && !members.has(m.authorEmail)).length;
          const versions = written.flatMap(({ m, id }) =>
            m.versions.length > 0
              ? m.versions.map((v) => ({
                  memory_id: id,
                  version: v.version,
                  workspace_id: ws,
                  action: v.action,
                  content: v.content,
                  metadata: JSON.stringify(v.metadata),
                  state: v.state,
                  at: v.at,
                  user_id: v.byEmail === null ? null : userOf(v.byEmail),
                  app_id: v.appName === null ? null : appOf(v.appName),
                  credential_kind: v.credentialKind,
                  credential_id: v.credentialId,
                  request_id: v.requestId,
                }))
              : [
                  {
                    memory_id: id,
                    version: 1,
                    workspace_id: ws,
                    action: 'baseline' as const,
                    content: m.content,
                    metadata: JSON.stringify(m.metadata),
                    state: m.state,
                    at: m.updatedAt,
                    user_id: userOf(m.authorEmail),
                    app_id: appOf(m.appName),
                    credential_kind: null,
                    credential_id: null,
                    request_id: null,
                  },
                ],
          );
          for (let j = 0; j < versions.length; j += BATCH) await trx.insertInto('memory_versions').values(versions.slice(j, j + BATCH)).execute();
          if (this.options.enqueueEmbeddings) {
            await enqueueEmbeddings(trx, ws, written.filter(({ m }) => m.state !== 'deleted').map(({ id }) => id), plan.now);
          }
        }
        progress?.(Math.min(i + BATCH, plan.memories.length));
      }
      const outcome: ImportOutcome = { created, unchanged, duplicates, reattributed, apps: apps.report };
      await trx.insertInto('audit_log').values(toAuditRow(audit(outcome))).execute();
      return outcome;
    });
  }
}

/**
 * Every app the plan names, by name: existing ones keep their access, new ones take the file's (or full when
 * only a memory or version names them).
 */
async function ensureApps(trx: Kysely<Database>, ws: string, plan: ImportPlan) {
  const wanted = new Map<string, AppAccess>();
  for (const a of plan.apps) wanted.set(a.name, a.access);
  for (const m of plan.memories) {
    if (m.appName !== null && !wanted.has(m.appName)) wanted.set(m.appName, 'full');
    for (const v of m.versions) if (v.appName !== null && !wanted.has(v.appName)) wanted.set(v.appName, 'full');
  }
  const names = [...wanted.keys()];
  const existing = new Map<string, { id: string; access: AppAccess }>();
  for (let i = 0; i < names.length; i += BATCH) {
    const rows = await trx.selectFrom('apps').select(['id', 'name', 'access']).where('workspace_id', '=', ws).where('name', 'in', names.slice(i, i + BATCH)).execute();
    for (const r of rows) existing.set(r.name, { id: r.id, access: accessOf(r.access) });
  }
  const ids = new Map<string, string>();
  const report: { name: string; access: AppAccess; created: boolean }[] = [];
  for (const [name, access] of [...wanted].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const found = existing.get(name);
    if (found) {
      ids.set(name, found.id);
      report.push({ name, access: found.access, created: false });
      continue;
    }
    const id = newId('app', plan.now);
    await trx
      .insertInto('apps')
      .values({ id, workspace_id: ws, name, access, access_changed_at: access === 'full' ? null : plan.now, created_at: plan.now })
      .execute();
    ids.set(name, id);
    report.push({ name, access, created: true });
  }
  return { ids, report };
}

/** Lower-cased email → user id, for the members of the workspace among the plan's authors. */
async function membersByEmail(trx: Kysely<Database>, ws: string, memories: readonly ImportMemory[]): Promise<Map<string, string>> {
  const emails = new Set<string>();
  for (const m of memories) {
    if (m.authorEmail !== null) emails.add(m.authorEmail);
    for (const v of m.versions) if (v.byEmail !== null) emails.add(v.byEmail);
  }
  const list = [...emails];
  const out = new Map<string, string>();
  for (let i = 0; i < list.length; i += BATCH) {
    const rows = await trx
      .selectFrom('users as u')
      .innerJoin('memberships as ms', 'ms.user_id', 'u.id')
      .select(['u.id', 'u.email'])
      .where('ms.workspace_id', '=', ws)
      .where('u.email', 'in', list.slice(i, i + BATCH))
      .execute();
    for (const r of rows) out.set(r.email.toLowerCase(), r.id);
  }
  return out;
}

/**
 * The id each memory of the batch is written under, or no entry when the workspace already has it. An id
 * another workspace holds is never touched or revealed: the memory is written under an id derived from
 * (this workspace, its id), the same on every import, so a re-import finds it again.
 */
async function placeIds(trx: Kysely<Database>, ws: string, batch: readonly ImportMemory[]): Promise<Map<string, string>> {
  const taken = await owners(trx, batch.map((m) => m.id));
  const out = new Map<string, string>();
  const moved = new Map<string, string>();
  for (const m of batch) {
    const owner = taken.get(m.id);
    if (owner === undefined) out.set(m.id, m.id);
    else if (owner !== ws) moved.set(m.id, derivedId(`${ws}:${m.id}`));
  }
  if (moved.size > 0) {
    const again = await owners(trx, [...moved.values()]);
    // A derived id held by another workspace too cannot happen short of a SHA-256 collision; it is left alone like an existing one.
    for (const [original, derived] of moved) if (!again.has(derived)) out.set(original, derived);
  }
  return out;
}

async function owners(trx: Kysely<Database>, ids: readonly string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await trx.selectFrom('memories').select(['id', 'workspace_id']).where('id', 'in', [...ids]).execute();
  return new Map(rows.map((r) => [r.id, r.workspace_id]));
}

function accessOf(raw: string): AppAccess {
  return (APP_ACCESS as readonly string[]).includes(raw) ? (raw as AppAccess) : 'paused';
}

function stateOf(raw: string): MemoryState {
  return (MEMORY_STATES as readonly string[]).includes(raw) ? (raw as MemoryState) : 'active';
}
