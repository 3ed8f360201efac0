import { z } from 'zod';
import { principalOf } from '../../auth-hook.js';
import { OAuthClientView, toOAuthClientView } from '../oauth-views.js';
import type { RestApp, RestDeps } from '../types.js';
import { errorResponses } from '../views.js';

/** GET /v1/oauth-clients: the caller's client-credentials clients in the caller's workspace (needs `admin`). */
export function oauthClientsList(app: RestApp, { oauthClients }: Pick<RestDeps, 'oauthClients'>): void {
  app.get(
    '/v1/oauth-clients',
    { schema: { tags: ['oauth-clients'], summary: 'List client-credentials clients', response: { 200: z.object({ clients: z.array(OAuthClientView) }), ...errorResponses } } },
    async (req) => ({ clients: (await oauthClients.listFor(principalOf(req))).map(toOAuthClientView) }),
  );
}
