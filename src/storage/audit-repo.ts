import type { Kysely } from 'kysely';
import type { AuditEvent, AuditStore } from '../core/audit/audit.js';
import type { CredentialKind } from '../core/principal.js';
import type { Database } from './schema.js';

export function toAuditRow(e: AuditEvent): Omit<Database['audit_log'], 'id'> {
  return {
    at: e.at,
    workspace_id: e.workspaceId,
    user_id: e.userId,
    credential_kind: e.credentialKind,
    credential_id: e.credentialId,
    app_id: e.appId,
    action: e.action,
    target_id: e.targetId,
    request_id: e.requestId,
    detail: e.detail ? JSON.stringify(e.detail) : null,
  };
}

export class KyselyAuditStore implements AuditStore {
  constructor(private readonly db: Kysely<Database>) {}

  async append(events: readonly AuditEvent[]): Promise<void> {
    if (events.length === 0) return;
    // Chunked so one flush stays well under both dialects' bound-parameter limits.
    for (let i = 0; i < events.length; i += 500) {
      await this.db.insertInto('audit_log').values(events.slice(i, i + 500).map(toAuditRow)).execute();
    }
  }

  async listForWorkspace(workspaceId: string, limit: number): Promise<(AuditEvent & { id: number })[]> {
    const rows = await this.db.selectFrom('audit_log').selectAll().where('workspace_id', '=', workspaceId).orderBy('id', 'desc').limit(limit).execute();
    return rows.map((r) => ({
      id: Number(r.id),
      at: Number(r.at),
      workspaceId: r.workspace_id,
      userId: r.user_id,
      credentialKind: r.credential_kind as CredentialKind | 'cli' | null,
      credentialId: r.credential_id,
      appId: r.app_id,
      action: r.action as AuditEvent['action'],
      targetId: r.target_id,
      requestId: r.request_id,
      detail: r.detail ? safeParse(r.detail) : null,
    }));
  }
}

function safeParse(text: string): Record<string, unknown> | null {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return null;
  }
}
