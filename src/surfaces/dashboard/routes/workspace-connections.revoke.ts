import { z } from 'zod';
import { principalOf } from '../../auth-hook.js';
import { errorResponses, IdParams } from '../../rest/views.js';
import type { DashboardApp, DashboardDeps } from '../types.js';

/** DELETE /v1/workspace/connections/:id (the workspace's owner or an admin): disconnects any member's app; its tokens stop at once. */
export function workspaceConnectionsRevoke(app: DashboardApp, { workspaceConnections }: Pick<DashboardDeps, 'workspaceConnections'>): void {
  app.delete('/v1/workspace/connections/:id', { schema: { params: IdParams, response: { 204: z.null(), ...errorResponses } } }, async (req, reply) => {
    await workspaceConnections.disconnect(principalOf(req), req.params.id);
    return reply.code(204).send(null);
  });
}
