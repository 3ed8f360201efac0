import { z } from 'zod';
import { principalOf } from '../../auth-hook.js';
import type { DashboardApp, DashboardDeps } from '../types.js';
import { InvitationView, toInvitationView, workspaceErrorResponses } from './workspaces.views.js';

/** GET /v1/invitations: the workspace's pending invitations (owner or admin; else 403 FORBIDDEN). */
export function invitationsList(app: DashboardApp, { workspaces }: Pick<DashboardDeps, 'workspaces'>): void {
  app.get('/v1/invitations', { schema: { response: { 200: z.object({ invitations: z.array(InvitationView) }), ...workspaceErrorResponses } } }, async (req) => ({
    invitations: (await workspaces.invitations(principalOf(req))).map(toInvitationView),
  }));
}
