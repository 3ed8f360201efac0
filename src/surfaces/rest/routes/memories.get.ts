import { z } from 'zod';
import { principalOf } from '../../auth-hook.js';
import type { RestApp, RestDeps } from '../types.js';
import { errorResponses, IdParams, MemoryView, toMemoryView } from '../views.js';

/** GET /v1/memories/{id}. Another workspace's id is a 404, exactly like an id that does not exist. */
export function memoriesGet(app: RestApp, { memories }: Pick<RestDeps, 'memories'>): void {
  app.get('/v1/memories/:id', { schema: { tags: ['memories'], summary: 'Get a memory', params: IdParams, response: { 200: z.object({ memory: MemoryView }), ...errorResponses } } }, async (req) => {
    return { memory: toMemoryView(await memories.get(principalOf(req), req.params.id)) };
  });
}
