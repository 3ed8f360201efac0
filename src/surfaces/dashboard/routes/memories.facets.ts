import { z } from 'zod';
import { principalOf } from '../../auth-hook.js';
import { errorResponses } from '../../rest/views.js';
import type { DashboardApp, DashboardDeps } from '../types.js';

const Facets = z.object({
  counts: z.object({ active: z.number().int(), archived: z.number().int(), deleted: z.number().int() }),
  apps: z.array(z.object({ id: z.string(), name: z.string(), count: z.number().int() })),
  authors: z.array(z.object({ userId: z.string(), name: z.string().nullable(), email: z.string(), count: z.number().int() })),
});

/** GET /v1/memories/facets: counts by state, and non-deleted memories per app and per author (filter menus, empty state). */
export function memoriesFacets(app: DashboardApp, { memories }: Pick<DashboardDeps, 'memories'>): void {
  app.get('/v1/memories/facets', { schema: { response: { 200: Facets, ...errorResponses } } }, async (req) => {
    const f = await memories.facets(principalOf(req));
    return { counts: f.counts, apps: [...f.apps], authors: [...f.authors] };
  });
}
