import { z } from 'zod';
import { ROLES } from '../../../core/users/user.js';
import { MAX_INVITATION_HOURS } from '../../../core/workspaces/workspace-service.js';
import { principalOf } from '../../auth-hook.js';
import type { DashboardApp, DashboardDeps } from '../types.js';
import { InvitationView, toInvitationView, workspaceErrorResponses } from './workspaces.views.js';

/**
 * POST /v1/invitations `{ role, email?, expiresInHours? }` (owner or admin of a shared workspace): the token
 * and its link are in this answer only; the link carries the token in its fragment, which no server logs.
 * With an email address and CAIRN_SMTP_URL set, the link is also mailed to that address after the
 * invitation is stored: `mailed` says whether the server accepted it, `mailError` why not (the invitation
 * exists either way, and the inviter can pass the link on).
 */
export function invitationsCreate(app: DashboardApp, { invitations }: Pick<DashboardDeps, 'invitations'>): void {
  app.post(
    '/v1/invitations',
    {
      schema: {
        body: z
          .object({
            role: z.enum(ROLES),
            email: z.string().max(320).nullable().optional(),
            expiresInHours: z.number().int().min(1).max(MAX_INVITATION_HOURS).optional(),
          })
          .strict(),
        response: {
          201: z.object({ invitation: InvitationView, token: z.string(), url: z.string(), mailed: z.boolean(), mailError: z.string().optional() }),
          ...workspaceErrorResponses,
        },
      },
    },
    async (req, reply) => {
      const { invitation, token, url, mailed, mailError } = await invitations.invite(principalOf(req), req.body);
      return reply.code(201).send({ invitation: toInvitationView(invitation), token, url, mailed, ...(mailError !== undefined ? { mailError } : {}) });
    },
  );
}
