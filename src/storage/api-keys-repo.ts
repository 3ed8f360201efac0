import { sql, type Kysely, type Selectable } from 'kysely';
import type { ApiKeyAuthRecord, ApiKeyRecord, ApiKeyStore, UsageDelta, WorkspaceKeyRecord } from '../auth/api-keys/api-key-store.js';
import type { AuditEvent } from '../core/audit/audit.js';
import { isScope, type Scope } from '../core/scopes.js';
import type { Role } from '../core/users/user.js';
import { toAuditRow } from './audit-repo.js';
import type { ApiKeysTable, Database } from './schema.js';

export class KyselyApiKeyStore implements ApiKeyStore {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(record: Omit<ApiKeyRecord, 'lastUsedAt' | 'usageCount' | 'rotatedTo'>, audit: AuditEvent): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('api_keys').values(toRow(record)).execute();
      await trx.insertInto('audit_log').values(toAuditRow(audit)).execute();
    });
  }

  async findForAuth(hash: string): Promise<ApiKeyAuthRecord | undefined> {
    const row = await this.db
      .selectFrom('api_keys as k')
      .innerJoin('users as u', 'u.id', 'k.user_id')
      .leftJoin('memberships as ms', (j) => j.onRef('ms.user_id', '=', 'k.user_id').onRef('ms.workspace_id', '=', 'k.workspace_id'))
      .selectAll('k')
      .select(['u.disabled_at as user_disabled_at', 'ms.role as role'])
      .where('k.hash', '=', hash)
      .executeTakeFirst();
    if (!row) return undefined;
    return { ...toRecord(row), userDisabledAt: row.user_disabled_at === null ? null : Number(row.user_disabled_at), role: row.role ?? undefined };
  }

  async list(userId: string, workspaceId: string): Promise<ApiKeyRecord[]> {
    const rows = await this.db
      .selectFrom('api_keys')
      .selectAll()
      .where('user_id', '=', userId)
      .where('workspace_id', '=', workspaceId)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .execute();
    return rows.map(toRecord);
  }

  async get(userId: string, workspaceId: string, id: string): Promise<ApiKeyRecord | undefined> {
    const row = await this.db.selectFrom('api_keys').selectAll().where('user_id', '=', userId).where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst();
    return row ? toRecord(row) : undefined;
  }

  async listInWorkspace(workspaceId: string): Promise<WorkspaceKeyRecord[]> {
    const rows = await this.workspaceKeyQuery(workspaceId).orderBy('k.created_at', 'desc').orderBy('k.id', 'desc').execute();
    return rows.map(toWorkspaceKey);
  }

  async getInWorkspace(workspaceId: string, id: string): Promise<WorkspaceKeyRecord | undefined> {
    const row = await this.workspaceKeyQuery(workspaceId).where('k.id', '=', id).executeTakeFirst();
    return row ? toWorkspaceKey(row) : undefined;
  }

  /** Keys of the workspace with their holder; the membership is joined loosely (a former member's keys stay listed). */
  private workspaceKeyQuery(workspaceId: string) {
    return this.db
      .selectFrom('api_keys as k')
      .innerJoin('users as u', 'u.id', 'k.user_id')
      .leftJoin('memberships as ms', (j) => j.onRef('ms.user_id', '=', 'k.user_id').onRef('ms.workspace_id', '=', 'k.workspace_id'))
      .selectAll('k')
      .select(['u.email as holder_email', 'u.name as holder_name', 'ms.role as holder_role'])
      .where('k.workspace_id', '=', workspaceId);
  }

  async revoke(userId: string, workspaceId: string, id: string, now: number, audit: AuditEvent): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const found = await trx.selectFrom('api_keys').select('revoked_at').where('user_id', '=', userId).where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst();
      if (!found) return false;
      if (found.revoked_at === null) {
        await trx.updateTable('api_keys').set({ revoked_at: now }).where('id', '=', id).execute();
        await trx.insertInto('audit_log').values(toAuditRow(audit)).execute();
      }
      return true;
    });
  }

  async rotate(oldId: string, oldExpiresAt: number, replacement: Omit<ApiKeyRecord, 'lastUsedAt' | 'usageCount' | 'rotatedTo'>, audit: AuditEvent): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('api_keys').values(toRow(replacement)).execute();
      await trx
        .updateTable('api_keys')
        .set({
          rotated_to: replacement.id,
          expires_at: sql<number>`CASE WHEN expires_at IS NULL OR expires_at > ${oldExpiresAt} THEN ${oldExpiresAt} ELSE expires_at END`,
        })
        .where('id', '=', oldId)
        .execute();
      await trx.insertInto('audit_log').values(toAuditRow(audit)).execute();
    });
  }

  async applyUsage(deltas: readonly UsageDelta[]): Promise<void> {
    if (deltas.length === 0) return;
    await this.db.transaction().execute(async (trx) => {
      for (const d of deltas) {
        await trx
          .updateTable('api_keys')
          .set({
            usage_count: sql<number>`usage_count + ${d.count}`,
            last_used_at: sql<number>`CASE WHEN last_used_at IS NULL OR last_used_at < ${d.lastUsedAt} THEN ${d.lastUsedAt} ELSE last_used_at END`,
          })
          .where('id', '=', d.keyId)
          .execute();
      }
    });
  }
}

function toRow(r: Omit<ApiKeyRecord, 'lastUsedAt' | 'usageCount' | 'rotatedTo'>): Omit<Database['api_keys'], 'usage_count'> {
  return {
    id: r.id,
    user_id: r.userId,
    workspace_id: r.workspaceId,
    app_id: r.appId,
    name: r.name,
    prefix: r.prefix,
    hash: r.hash,
    scopes: r.scopes.join(' '),
    created_at: r.createdAt,
    expires_at: r.expiresAt,
    revoked_at: r.revokedAt,
    last_used_at: null,
    rotated_to: null,
  };
}

function toWorkspaceKey(r: Selectable<ApiKeysTable> & { holder_email: string; holder_name: string | null; holder_role: Role | null }): WorkspaceKeyRecord {
  return { ...toRecord(r), holder: { email: r.holder_email, name: r.holder_name, role: r.holder_role ?? null } };
}

function toRecord(r: Selectable<ApiKeysTable>): ApiKeyRecord {
  return {
    id: r.id,
    userId: r.user_id,
    workspaceId: r.workspace_id,
    appId: r.app_id,
    name: r.name,
    prefix: r.prefix,
    hash: r.hash,
    // An unknown scope name in the store (hand-edited row, newer version) is dropped, never granted.
    scopes: r.scopes.split(/\s+/).filter((s): s is Scope => isScope(s)),
    createdAt: Number(r.created_at),
    expiresAt: r.expires_at === null ? null : Number(r.expires_at),
    revokedAt: r.revoked_at === null ? null : Number(r.revoked_at),
    lastUsedAt: r.last_used_at === null ? null : Number(r.last_used_at),
    usageCount: Number(r.usage_count),
    rotatedTo: r.rotated_to,
  };
}
