import { z } from 'zod';
import { principalOf } from '../../auth-hook.js';
import type { RestApp, RestDeps } from '../types.js';
import { errorResponses, IdParams } from '../views.js';

/** DELETE /v1/oauth-clients/{id}: the client can get no token, and the tokens it holds are refused at once. */
export function oauthClientsDelete(app: RestApp, { oauthClients }: Pick<RestDeps, 'oauthClients'>): void {
  app.delete(
    '/v1/oauth-clients/:id',
    { schema: { tags: ['oauth-clients'], summary: 'Delete a client-credentials client', params: IdParams, response: { 204: z.null(), ...errorResponses } } },
    async (req, reply) => {
      await oauthClients.deleteFor(principalOf(req), req.params.id);
      return reply.code(204).send(null);
    },
  );
}
