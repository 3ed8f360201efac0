import { Readable } from 'node:stream';
import { z } from 'zod';
import { AppError } from '../../../errors/app-error.js';
import { exportAuditLines } from '../../../core/audit/export.js';
import { principalOf } from '../../auth-hook.js';
import { errorResponses, IsoTime } from '../../rest/views.js';
import type { DashboardApp, DashboardDeps } from '../types.js';

const Query = z.object({
  since: IsoTime.optional().describe('Events at or after this time.'),
  until: IsoTime.optional().describe('Events before this time.'),
});

/**
 * GET /v1/activity/export: the workspace's audit log as an NDJSON download, one event per line, oldest first, read
 * a page at a time. Whoever may see the workspace's activity (GET /v1/activity: every member) may export it.
 */
export function activityExport(app: DashboardApp, { audit, clock }: Pick<DashboardDeps, 'audit' | 'clock'>): void {
  app.get('/v1/activity/export', { schema: { querystring: Query, response: { 200: z.unknown().describe('application/x-ndjson: one event per line'), ...errorResponses } } }, async (req, reply) => {
    const { since, until } = req.query;
    if (since !== undefined && until !== undefined && until <= since) throw new AppError('INVALID_INPUT', 'Invalid until: must be later than since.', { field: 'until' });
    const { workspaceId } = principalOf(req);
    const lines = exportAuditLines(audit, { workspaceId, ...(since !== undefined ? { since } : {}), ...(until !== undefined ? { until } : {}) });
    // The first page is read before the status line goes out, so a database that is down still answers 503;
    // a failure later in the stream can only cut the download short.
    const first = await lines.next();
    const day = new Date(clock.now()).toISOString().slice(0, 10);
    async function* all(): AsyncGenerator<string> {
      if (first.done) return;
      yield first.value;
      yield* lines;
    }
    return reply
      .header('content-type', 'application/x-ndjson; charset=utf-8')
      .header('content-disposition', `attachment; filename="cairn-activity-${workspaceId}-${day}.ndjson"`)
      .header('cache-control', 'no-store')
      .send(Readable.from(all()));
  });
}
