import { z } from 'zod';
import { principalOf } from '../../auth-hook.js';
import type { RestApp, RestDeps } from '../types.js';
import { errorResponses, IdParams } from '../views.js';

/** DELETE /v1/connections/{id}: disconnects an app; every token issued to it stops working at once. */
export function connectionsRevoke(app: RestApp, { oauthGrants }: Pick<RestDeps, 'oauthGrants'>): void {
  app.delete(
    '/v1/connections/:id',
    { schema: { tags: ['connections'], summary: 'Disconnect an app (revoke its grant)', params: IdParams, response: { 204: z.null(), ...errorResponses } } },
    async (req, reply) => {
      await oauthGrants.revokeFor(principalOf(req), req.params.id);
      return reply.code(204).send(null);
    },
  );
}
