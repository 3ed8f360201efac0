import { z } from 'zod';
import { MAX_SEARCH_LIMIT } from '../../../core/memories/memory-service.js';
import { principalOf } from '../../auth-hook.js';
import type { RestApp, RestDeps } from '../types.js';
import { errorResponses, MemoryFiltersInput, MemoryView, toMemoryView } from '../views.js';

export const Body = z.object({
  query: z.string().min(1).max(2000),
  limit: z.number().int().min(1).max(MAX_SEARCH_LIMIT).optional(),
  filters: MemoryFiltersInput.extend({ author: z.string().max(64).optional().describe('Only memories written by this user id (within the workspace).') }).optional(),
});

const Results = z.object({ results: z.array(z.object({ memory: MemoryView, score: z.number() })) });

/** POST /v1/memories/search: full-text relevance (BM25-like), newer first among equals. */
export function memoriesSearch(app: RestApp, { memories }: Pick<RestDeps, 'memories'>): void {
  app.post('/v1/memories/search', { schema: { tags: ['memories'], summary: 'Search memories', body: Body, response: { 200: Results, ...errorResponses } } }, async (req) => {
    const f = req.body.filters ?? {};
    const hits = await memories.search(principalOf(req), {
      query: req.body.query,
      ...(req.body.limit !== undefined ? { limit: req.body.limit } : {}),
      filters: {
        ...(f.app ? { appId: f.app } : {}),
        ...(f.author ? { authorUserId: f.author } : {}),
        ...(f.state ? { state: f.state } : {}),
        ...(f.since !== undefined ? { since: f.since } : {}),
        ...(f.until !== undefined ? { until: f.until } : {}),
      },
    });
    return { results: hits.map((h) => ({ memory: toMemoryView(h.memory), score: h.score })) };
  });
}
