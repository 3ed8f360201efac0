import { principalOf } from '../../auth-hook.js';
import type { RestApp, RestDeps } from '../types.js';
import { errorResponses, IdParams } from '../views.js';
import { z } from 'zod';

/** DELETE /v1/memories/{id}: marks the memory deleted (kept for restore; hidden from list and search). */
export function memoriesDelete(app: RestApp, { memories }: Pick<RestDeps, 'memories'>): void {
  app.delete('/v1/memories/:id', { schema: { tags: ['memories'], summary: 'Delete a memory', params: IdParams, response: { 204: z.null(), ...errorResponses } } }, async (req, reply) => {
    await memories.delete(principalOf(req), req.params.id);
    return reply.code(204).send(null);
  });
}
