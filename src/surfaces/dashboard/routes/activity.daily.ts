import { z } from 'zod';
import { principalOf } from '../../auth-hook.js';
import { errorResponses } from '../../rest/views.js';
import type { DashboardApp, DashboardDeps } from '../types.js';

const DAY_MS = 86_400_000;

const Query = z.object({ days: z.coerce.number().int().min(1).max(90).optional() });
const Daily = z.object({ days: z.array(z.object({ date: z.string(), app: z.object({ id: z.string(), name: z.string() }), count: z.number().int() })) });

/** GET /v1/activity/daily: audit-log events per UTC day and app over the last `days` days (today included), for the chart. */
export function activityDaily(app: DashboardApp, { audit, clock }: Pick<DashboardDeps, 'audit' | 'clock'>): void {
  app.get('/v1/activity/daily', { schema: { querystring: Query, response: { 200: Daily, ...errorResponses } } }, async (req) => {
    const days = req.query.days ?? 30;
    const today = Math.floor(clock.now() / DAY_MS);
    const rows = await audit.dailyByApp(principalOf(req).workspaceId, (today - days + 1) * DAY_MS);
    return { days: rows.map((r) => ({ date: new Date(r.day * DAY_MS).toISOString().slice(0, 10), app: { id: r.appId, name: r.appName }, count: r.count })) };
  });
}
