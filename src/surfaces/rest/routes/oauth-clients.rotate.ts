import { z } from 'zod';
import { principalOf } from '../../auth-hook.js';
import { OAuthClientView, toOAuthClientView } from '../oauth-views.js';
import type { RestApp, RestDeps } from '../types.js';
import { errorResponses, IdParams } from '../views.js';

/** No options yet; an object so that later ones (a grace period) are additive. */
export const Body = z.object({});

const Rotated = z.object({ clientSecret: z.string().describe('The new secret, shown only here. The old one stops working at once.'), client: OAuthClientView });

/** POST /v1/oauth-clients/{id}/rotate-secret: a new client secret (needs `admin`). */
export function oauthClientsRotate(app: RestApp, { oauthClients }: Pick<RestDeps, 'oauthClients'>): void {
  app.post(
    '/v1/oauth-clients/:id/rotate-secret',
    { schema: { tags: ['oauth-clients'], summary: 'Rotate a client secret', params: IdParams, body: Body, response: { 201: Rotated, ...errorResponses } } },
    async (req, reply) => {
      const { clientSecret, view } = await oauthClients.rotateFor(principalOf(req), req.params.id);
      return reply.code(201).header('cache-control', 'no-store').send({ clientSecret, client: toOAuthClientView(view) });
    },
  );
}
