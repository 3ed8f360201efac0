import { z } from 'zod';
import { principalOf } from '../../auth-hook.js';
import type { RestApp, RestDeps } from '../types.js';
import { errorResponses, IsoTime } from '../views.js';

export const Body = z
  .object({
    ids: z.array(z.string().min(1).max(64)).min(1).max(1000).optional(),
    filters: z
      .object({ app: z.string().max(64).optional(), since: IsoTime.optional(), until: IsoTime.optional() })
      .optional(),
    all: z.literal(true).optional().describe('Required to delete every memory of the workspace (no ids, no filters).'),
  })
  .refine((b) => b.ids !== undefined || b.filters !== undefined || b.all === true, {
    message: 'give ids, filters, or all: true to delete every memory',
  });

/** POST /v1/memories/bulk-delete: by ids, by filters, or everything with an explicit `all: true`. */
export function memoriesBulkDelete(app: RestApp, { memories }: Pick<RestDeps, 'memories'>): void {
  app.post(
    '/v1/memories/bulk-delete',
    { schema: { tags: ['memories'], summary: 'Delete many memories', body: Body, response: { 200: z.object({ deleted: z.number().int() }), ...errorResponses } } },
    async (req) => {
      const f = req.body.filters;
      const deleted = await memories.deleteMany(principalOf(req), {
        ...(req.body.ids ? { ids: req.body.ids } : {}),
        ...(f
          ? {
              filters: {
                ...(f.app ? { appId: f.app } : {}),
                ...(f.since !== undefined ? { since: f.since } : {}),
                ...(f.until !== undefined ? { until: f.until } : {}),
              },
            }
          : {}),
      });
      return { deleted };
    },
  );
}
