import type { AuditEvent, AuditExporter, AuditExportQuery } from './audit.js';

/** Events read per query while exporting. */
export const EXPORT_PAGE = 500;

/** One exported audit event: a line of NDJSON (docs/security-model.md, "Audit log"). */
export interface AuditExportLine {
  readonly id: string;
  readonly at: string;
  readonly workspaceId: string | null;
  readonly action: string;
  readonly userId: string | null;
  readonly credential: { readonly kind: string; readonly id: string | null } | null;
  readonly app: { readonly id: string; readonly name: string } | null;
  readonly target: string | null;
  readonly requestId: string | null;
  readonly detail: Record<string, unknown> | null;
}

export function toExportLine(e: AuditEvent & { id: number; appName: string | null }): AuditExportLine {
  return {
    id: String(e.id),
    at: new Date(e.at).toISOString(),
    workspaceId: e.workspaceId,
    action: e.action,
    userId: e.userId,
    credential: e.credentialKind === null ? null : { kind: e.credentialKind, id: e.credentialId },
    app: e.appId === null ? null : { id: e.appId, name: e.appName ?? e.appId },
    target: e.targetId,
    requestId: e.requestId,
    detail: e.detail,
  };
}

/**
 * The events `query` selects, oldest first, as NDJSON lines ("…\n"), read a page at a time so an export of any
 * size holds one page in memory. The first page is read when the first line is asked for.
 */
export async function* exportAuditLines(exporter: AuditExporter, query: Omit<AuditExportQuery, 'after' | 'limit'>, pageSize = EXPORT_PAGE): AsyncGenerator<string> {
  let after: AuditExportQuery['after'];
  for (;;) {
    const page = await exporter.exportPage({ ...query, ...(after ? { after } : {}), limit: pageSize });
    for (const e of page) yield `${JSON.stringify(toExportLine(e))}\n`;
    const last = page[page.length - 1];
    if (page.length < pageSize || !last) return;
    after = { at: last.at, id: last.id };
  }
}
