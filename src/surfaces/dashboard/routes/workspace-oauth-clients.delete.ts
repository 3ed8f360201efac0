import { z } from 'zod';
import { principalOf } from '../../auth-hook.js';
import { errorResponses, IdParams } from '../../rest/views.js';
import type { DashboardApp, DashboardDeps } from '../types.js';

/** DELETE /v1/workspace/oauth-clients/:id (the workspace's owner or an admin): deletes any member's client; its tokens stop at once. */
export function workspaceOAuthClientsDelete(app: DashboardApp, { workspaceConnections }: Pick<DashboardDeps, 'workspaceConnections'>): void {
  app.delete('/v1/workspace/oauth-clients/:id', { schema: { params: IdParams, response: { 204: z.null(), ...errorResponses } } }, async (req, reply) => {
    await workspaceConnections.deleteClient(principalOf(req), req.params.id);
    return reply.code(204).send(null);
  });
}
