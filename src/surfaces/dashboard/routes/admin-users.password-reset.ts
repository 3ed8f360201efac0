import { z } from 'zod';
import { credentialEvent } from '../../../core/audit/audit.js';
import { AppError, notFound } from '../../../errors/app-error.js';
import { principalOf } from '../../auth-hook.js';
import { errorResponses, IdParams } from '../../rest/views.js';
import { requireAdministrator } from '../authenticate.js';
import type { DashboardApp, DashboardDeps } from '../types.js';

/**
 * POST /v1/admin/users/:id/password-reset (administrators only): a one-time set-password link, the same kind
 * `cairn user create` prints. The administrator hands it over; using it sets the password and ends the
 * user's sessions. The link is in this response only (its hash is stored) and not in the audit log.
 */
export function adminUsersPasswordReset(app: DashboardApp, { users, accounts, audit, clock }: Pick<DashboardDeps, 'users' | 'accounts' | 'audit' | 'clock'>): void {
  app.post(
    '/v1/admin/users/:id/password-reset',
    { schema: { params: IdParams, response: { 200: z.object({ url: z.string(), expiresAt: z.string() }), ...errorResponses } } },
    async (req, reply) => {
      requireAdministrator(req);
      const user = await users.byId(req.params.id);
      if (!user) throw notFound('User');
      if (user.disabledAt !== null) throw new AppError('CONFLICT', 'This user is disabled; enable them before sending a password link.');
      const link = await accounts.setPasswordLink(user);
      const p = principalOf(req);
      await audit.append([credentialEvent('user.password_link', p, { kind: p.credential.kind, credentialId: p.credential.id, requestId: req.id }, user.id, clock.now(), { expiresAt: link.expiresAt }, p.appId)]);
      return reply.header('cache-control', 'no-store').send({ url: link.url, expiresAt: new Date(link.expiresAt).toISOString() });
    },
  );
}
