import { z } from 'zod';
import { principalOf } from '../../auth-hook.js';
import { ConnectionView, toConnectionView } from '../oauth-views.js';
import type { RestApp, RestDeps } from '../types.js';
import { errorResponses } from '../views.js';

/** GET /v1/connections: the apps the caller connected with OAuth in the caller's workspace (needs `admin`). */
export function connectionsList(app: RestApp, { oauthGrants }: Pick<RestDeps, 'oauthGrants'>): void {
  app.get(
    '/v1/connections',
    { schema: { tags: ['connections'], summary: 'List connected apps (OAuth grants)', response: { 200: z.object({ connections: z.array(ConnectionView) }), ...errorResponses } } },
    async (req) => {
      const grants = await oauthGrants.listFor(principalOf(req));
      // One store read for every client's redirect URIs, not one per grant.
      const hosts = await oauthGrants.redirectHosts(grants.map((g) => g.clientId));
      return { connections: grants.map((g) => toConnectionView(g, hosts.get(g.clientId) ?? [])) };
    },
  );
}
