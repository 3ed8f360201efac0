import { principalOf } from '../../auth-hook.js';
import type { DashboardApp, DashboardDeps } from '../types.js';
import { INVITATION_RATE_LIMIT, InvitationOfferView, TokenBody, toInvitationOfferView, workspaceErrorResponses } from './workspaces.views.js';

/**
 * POST /v1/invitations/inspect `{ token }` (anyone signed in): what the invitation offers, without using it.
 * 404 unknown, 409 INVITATION_USED, 410 INVITATION_EXPIRED, 403 INVITATION_EMAIL_MISMATCH.
 */
export function invitationsInspect(app: DashboardApp, { workspaces }: Pick<DashboardDeps, 'workspaces'>): void {
  app.post(
    '/v1/invitations/inspect',
    { config: { rateLimit: INVITATION_RATE_LIMIT }, schema: { body: TokenBody, response: { 200: InvitationOfferView, ...workspaceErrorResponses } } },
    async (req) => toInvitationOfferView(await workspaces.inspect(principalOf(req).userId, req.body.token)),
  );
}
