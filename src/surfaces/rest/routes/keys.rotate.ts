import { z } from 'zod';
import { MAX_GRACE_SECONDS } from '../../../auth/api-keys/api-key-service.js';
import { principalOf } from '../../auth-hook.js';
import type { RestApp, RestDeps } from '../types.js';
import { errorResponses, IdParams, KeyView, toKeyView } from '../views.js';

export const Body = z.object({
  gracePeriodSeconds: z.number().int().min(0).max(MAX_GRACE_SECONDS).default(0).describe('How long the old key keeps working.'),
});

const Rotated = z.object({ key: z.string().describe('The new key, shown only here.'), apiKey: KeyView, previous: KeyView });

/** POST /v1/keys/{id}/rotate: a new key with the same name and scopes; the old one expires after the grace period. */
export function keysRotate(app: RestApp, { apiKeys }: Pick<RestDeps, 'apiKeys'>): void {
  app.post(
    '/v1/keys/:id/rotate',
    { schema: { tags: ['keys'], summary: 'Rotate an API key', params: IdParams, body: Body, response: { 201: Rotated, ...errorResponses } } },
    async (req, reply) => {
      const r = await apiKeys.rotateFor(principalOf(req), req.params.id, req.body.gracePeriodSeconds);
      return reply.code(201).header('cache-control', 'no-store').send({ key: r.key, apiKey: toKeyView(r.view), previous: toKeyView(r.old) });
    },
  );
}
