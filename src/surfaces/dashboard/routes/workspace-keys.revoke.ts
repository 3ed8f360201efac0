import { z } from 'zod';
import { principalOf } from '../../auth-hook.js';
import { errorResponses, IdParams } from '../../rest/views.js';
import type { DashboardApp, DashboardDeps } from '../types.js';

/**
 * DELETE /v1/workspace/keys/:id (the workspace's owner or an admin): revokes any member's key in the workspace,
 * at once on this instance and on others within CAIRN_AUTH_CACHE_TTL_SECONDS; a key of another workspace is 404.
 */
export function workspaceKeysRevoke(app: DashboardApp, { workspaceKeys }: Pick<DashboardDeps, 'workspaceKeys'>): void {
  app.delete('/v1/workspace/keys/:id', { schema: { params: IdParams, response: { 204: z.null(), ...errorResponses } } }, async (req, reply) => {
    await workspaceKeys.revoke(principalOf(req), req.params.id);
    return reply.code(204).send(null);
  });
}
