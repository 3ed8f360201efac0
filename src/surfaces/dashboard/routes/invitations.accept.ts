import { z } from 'zod';
import { principalOf } from '../../auth-hook.js';
import type { DashboardApp, DashboardDeps } from '../types.js';
import { INVITATION_RATE_LIMIT, TokenBody, toWorkspaceView, WorkspaceView, workspaceErrorResponses } from './workspaces.views.js';

/**
 * POST /v1/invitations/accept `{ token }` (anyone signed in): joins the workspace with the invitation's role
 * and uses the invitation up. The same errors as inspect, and 409 CONFLICT for someone already a member.
 */
export function invitationsAccept(app: DashboardApp, { workspaces }: Pick<DashboardDeps, 'workspaces'>): void {
  app.post(
    '/v1/invitations/accept',
    { config: { rateLimit: INVITATION_RATE_LIMIT }, schema: { body: TokenBody, response: { 200: z.object({ workspace: WorkspaceView }), ...workspaceErrorResponses } } },
    async (req) => ({ workspace: toWorkspaceView(await workspaces.accept(principalOf(req), req.body.token)) }),
  );
}
