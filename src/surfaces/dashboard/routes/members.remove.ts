import { z } from 'zod';
import { principalOf } from '../../auth-hook.js';
import { IdParams } from '../../rest/views.js';
import type { DashboardApp, DashboardDeps } from '../types.js';
import { workspaceErrorResponses } from './workspaces.views.js';

/** DELETE /v1/members/:id: removes a member (owner or admin; owners only by an owner); your own id is leaving. */
export function membersRemove(app: DashboardApp, { workspaces }: Pick<DashboardDeps, 'workspaces'>): void {
  app.delete('/v1/members/:id', { schema: { params: IdParams, response: { 204: z.null(), ...workspaceErrorResponses } } }, async (req, reply) => {
    await workspaces.removeMember(principalOf(req), req.params.id);
    return reply.code(204).send(null);
  });
}
