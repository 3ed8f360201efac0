import { z } from 'zod';
import { MAX_BULK_UPDATE } from '../../../core/memories/memory-service.js';
import { MEMORY_STATES } from '../../../core/memories/memory.js';
import { principalOf } from '../../auth-hook.js';
import { errorResponses } from '../../rest/views.js';
import type { DashboardApp, DashboardDeps } from '../types.js';

const Body = z.object({
  ids: z.array(z.string().min(1).max(64)).min(1).max(MAX_BULK_UPDATE),
  state: z.enum(MEMORY_STATES),
});

/** POST /v1/memories/bulk-update: archive, delete or restore (the undo) many memories of the workspace at once. */
export function memoriesBulkUpdate(app: DashboardApp, { memories }: Pick<DashboardDeps, 'memories'>): void {
  app.post('/v1/memories/bulk-update', { schema: { body: Body, response: { 200: z.object({ updated: z.number().int() }), ...errorResponses } } }, async (req) => {
    return { updated: await memories.setStateMany(principalOf(req), req.body.ids, req.body.state) };
  });
}
