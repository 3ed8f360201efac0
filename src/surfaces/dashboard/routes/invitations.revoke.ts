import { z } from 'zod';
import { principalOf } from '../../auth-hook.js';
import { IdParams } from '../../rest/views.js';
import type { DashboardApp, DashboardDeps } from '../types.js';
import { workspaceErrorResponses } from './workspaces.views.js';

/** DELETE /v1/invitations/:id: the link stops working (owner or admin); an unknown or used one is 404. */
export function invitationsRevoke(app: DashboardApp, { workspaces }: Pick<DashboardDeps, 'workspaces'>): void {
  app.delete('/v1/invitations/:id', { schema: { params: IdParams, response: { 204: z.null(), ...workspaceErrorResponses } } }, async (req, reply) => {
    await workspaces.revokeInvitation(principalOf(req), req.params.id);
    return reply.code(204).send(null);
  });
}
