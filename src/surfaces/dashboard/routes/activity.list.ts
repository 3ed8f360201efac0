import { z } from 'zod';
import { AppError } from '../../../errors/app-error.js';
import { principalOf } from '../../auth-hook.js';
import { toExportLine, type AuditExportLine } from '../../../core/audit/export.js';
import { errorResponses, IsoTime } from '../../rest/views.js';
import type { DashboardApp, DashboardDeps } from '../types.js';

export const MAX_ACTIVITY_PAGE = 200;

const Query = z.object({
  action: z.string().min(1).max(64).optional().describe('e.g. memory.create, key.revoke'),
  app: z.string().min(1).max(64).optional().describe('An app id.'),
  credential: z.string().min(1).max(128).optional().describe('A credential id (key id, session id, grant or client id).'),
  since: IsoTime.optional(),
  until: IsoTime.optional(),
  limit: z.coerce.number().int().min(1).max(MAX_ACTIVITY_PAGE).optional(),
  cursor: z.string().max(32).optional().describe('nextCursor from the previous page.'),
});

const Event = z.object({
  id: z.string(),
  at: z.string(),
  action: z.string(),
  userId: z.string().nullable(),
  credential: z.object({ kind: z.string(), id: z.string().nullable() }).nullable(),
  app: z.object({ id: z.string(), name: z.string() }).nullable(),
  target: z.string().nullable(),
  requestId: z.string().nullable(),
  detail: z.record(z.string(), z.unknown()).nullable(),
});

/** GET /v1/activity: the workspace's audit log, newest first, filtered and cursor-paginated. */
export function activityList(app: DashboardApp, { audit }: Pick<DashboardDeps, 'audit'>): void {
  app.get('/v1/activity', { schema: { querystring: Query, response: { 200: z.object({ events: z.array(Event), nextCursor: z.string().nullable() }), ...errorResponses } } }, async (req) => {
    const q = req.query;
    const limit = q.limit ?? 50;
    const beforeId = q.cursor === undefined ? undefined : Number(q.cursor);
    if (beforeId !== undefined && (!Number.isSafeInteger(beforeId) || beforeId < 1)) throw new AppError('INVALID_INPUT', 'Invalid cursor.', { field: 'cursor' });
    const rows = await audit.query(principalOf(req).workspaceId, {
      ...(q.action !== undefined ? { action: q.action } : {}),
      ...(q.app !== undefined ? { appId: q.app } : {}),
      ...(q.credential !== undefined ? { credentialId: q.credential } : {}),
      ...(q.since !== undefined ? { since: q.since } : {}),
      ...(q.until !== undefined ? { until: q.until } : {}),
      ...(beforeId !== undefined ? { beforeId } : {}),
      limit: limit + 1,
    });
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      // The export's line without the workspace, which every event of this page shares.
      events: page.map((e) => withoutWorkspace(toExportLine(e))),
      nextCursor: rows.length > limit && last ? String(last.id) : null,
    };
  });
}

function withoutWorkspace({ workspaceId: _, ...event }: AuditExportLine): Omit<AuditExportLine, 'workspaceId'> {
  return event;
}
