import { z } from 'zod';
import { MAX_PAGE } from '../../../core/memories/memory-service.js';
import { principalOf } from '../../auth-hook.js';
import type { RestApp, RestDeps } from '../types.js';
import { errorResponses, MemoryFiltersInput, MemoryView, toMemoryView } from '../views.js';

export const Query = MemoryFiltersInput.extend({
  author: z.string().max(64).optional().describe('Only memories written by this user id (within the workspace).'),
  limit: z.coerce.number().int().min(1).max(MAX_PAGE).optional(),
  cursor: z.string().max(200).optional().describe('nextCursor from the previous page.'),
});

const Page = z.object({ memories: z.array(MemoryView), nextCursor: z.string().nullable() });

/** GET /v1/memories: newest first, cursor-paginated, filterable by app, author, state and creation time. */
export function memoriesList(app: RestApp, { memories }: Pick<RestDeps, 'memories'>): void {
  app.get('/v1/memories', { schema: { tags: ['memories'], summary: 'List memories', querystring: Query, response: { 200: Page, ...errorResponses } } }, async (req) => {
    const q = req.query;
    const page = await memories.list(principalOf(req), {
      ...(q.app ? { appId: q.app } : {}),
      ...(q.author ? { authorUserId: q.author } : {}),
      ...(q.state ? { state: q.state } : {}),
      ...(q.since !== undefined ? { since: q.since } : {}),
      ...(q.until !== undefined ? { until: q.until } : {}),
      ...(q.limit !== undefined ? { limit: q.limit } : {}),
      ...(q.cursor !== undefined ? { cursor: q.cursor } : {}),
    });
    return { memories: page.memories.map(toMemoryView), nextCursor: page.nextCursor };
  });
}
