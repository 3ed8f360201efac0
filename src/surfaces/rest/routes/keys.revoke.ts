import { z } from 'zod';
import { principalOf } from '../../auth-hook.js';
import type { RestApp, RestDeps } from '../types.js';
import { errorResponses, IdParams } from '../views.js';

/** DELETE /v1/keys/{id}: revokes at once (this instance immediately; others within the cache TTL). */
export function keysRevoke(app: RestApp, { apiKeys }: Pick<RestDeps, 'apiKeys'>): void {
  app.delete('/v1/keys/:id', { schema: { tags: ['keys'], summary: 'Revoke an API key', params: IdParams, response: { 204: z.null(), ...errorResponses } } }, async (req, reply) => {
    await apiKeys.revokeFor(principalOf(req), req.params.id);
    return reply.code(204).send(null);
  });
}
