import { sql, type Kysely, type Selectable } from 'kysely';
import type { AuditEvent, AuditExporter, AuditExportQuery, AuditQuery, AuditReader, AuditStore } from '../core/audit/audit.js';
import type { CredentialKind } from '../core/principal.js';
import type { AuditLogTable, Database } from './schema.js';

const DAY_MS = 86_400_000;

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

export class KyselyAuditStore implements AuditStore, AuditReader, AuditExporter {
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
    return rows.map(toEvent);
  }

  async query(workspaceId: string, q: AuditQuery): Promise<(AuditEvent & { id: number; appName: string | null })[]> {
    let query = this.db.selectFrom('audit_log as l').leftJoin('apps as a', 'a.id', 'l.app_id').selectAll('l').select('a.name as app_name').where('l.workspace_id', '=', workspaceId);
    if (q.action !== undefined) query = query.where('l.action', '=', q.action);
    if (q.appId !== undefined) query = query.where('l.app_id', '=', q.appId);
    if (q.credentialId !== undefined) query = query.where('l.credential_id', '=', q.credentialId);
    if (q.since !== undefined) query = query.where('l.at', '>=', q.since);
    if (q.until !== undefined) query = query.where('l.at', '<', q.until);
    if (q.beforeId !== undefined) query = query.where('l.id', '<', q.beforeId);
    const rows = await query.orderBy('l.id', 'desc').limit(q.limit).execute();
    return rows.map((r) => ({ ...toEvent(r), appName: r.app_name ?? null }));
  }

  async exportPage(q: AuditExportQuery): Promise<(AuditEvent & { id: number; appName: string | null })[]> {
    let query = this.db.selectFrom('audit_log as l').leftJoin('apps as a', 'a.id', 'l.app_id').selectAll('l').select('a.name as app_name');
    if (q.workspaceId !== undefined) query = query.where('l.workspace_id', '=', q.workspaceId);
    if (q.since !== undefined) query = query.where('l.at', '>=', q.since);
    if (q.until !== undefined) query = query.where('l.at', '<', q.until);
    if (q.after !== undefined) {
      const { at, id } = q.after;
      query = query.where((eb) => eb.or([eb('l.at', '>', at), eb.and([eb('l.at', '=', at), eb('l.id', '>', id)])]));
    }
    const rows = await query.orderBy('l.at').orderBy('l.id').limit(q.limit).execute();
    return rows.map((r) => ({ ...toEvent(r), appName: r.app_name ?? null }));
  }

  async dailyByApp(workspaceId: string, since: number): Promise<{ day: number; appId: string; appName: string; count: number }[]> {
    // Integer division of integer milliseconds is the UTC day number in both dialects.
    const day = sql<number>`l.at / ${sql.lit(DAY_MS)}`;
    const rows = await this.db
      .selectFrom('audit_log as l')
      .innerJoin('apps as a', 'a.id', 'l.app_id')
      .select([day.as('day'), 'a.id as app_id', 'a.name as app_name', sql<number>`count(*)`.as('n')])
      .where('l.workspace_id', '=', workspaceId)
      .where('l.at', '>=', since)
      .groupBy([day, 'a.id', 'a.name'])
      .orderBy('day')
      .orderBy('a.name')
      .execute();
    return rows.map((r) => ({ day: Number(r.day), appId: r.app_id, appName: r.app_name, count: Number(r.n) }));
  }
}

function toEvent(r: Selectable<AuditLogTable>): AuditEvent & { id: number } {
  return {
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
  };
}

function safeParse(text: string): Record<string, unknown> | null {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return null;
  }
}
