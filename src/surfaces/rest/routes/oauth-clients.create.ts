import { z } from 'zod';
import { MEMORY_SCOPES } from '../../../oauth/scopes.js';
import { principalOf } from '../../auth-hook.js';
import { OAuthClientView, toOAuthClientView } from '../oauth-views.js';
import type { RestApp, RestDeps } from '../types.js';
import { errorResponses } from '../views.js';

export const Body = z.object({
  name: z.string().min(1).max(64),
  scopes: z.array(z.enum(MEMORY_SCOPES)).min(1),
});

const Created = z.object({
  clientId: z.string(),
  clientSecret: z.string().describe('The client secret. It is shown only in this response.'),
  client: OAuthClientView,
});

/**
 * POST /v1/oauth-clients: a confidential client for the client_credentials grant, acting for the caller in
 * the caller's workspace (needs `admin`; the scopes must be memory scopes the caller holds).
 */
export function oauthClientsCreate(app: RestApp, { oauthClients }: Pick<RestDeps, 'oauthClients'>): void {
  app.post(
    '/v1/oauth-clients',
    { schema: { tags: ['oauth-clients'], summary: 'Create a client-credentials client', body: Body, response: { 201: Created, ...errorResponses } } },
    async (req, reply) => {
      const { clientId, clientSecret, view } = await oauthClients.createFor(principalOf(req), req.body);
      return reply.code(201).header('cache-control', 'no-store').send({ clientId, clientSecret, client: toOAuthClientView(view) });
    },
  );
}
