import { z } from 'zod';
import { principalOf } from '../../auth-hook.js';
import { errorResponses, IdParams } from '../../rest/views.js';
import { requireAdministrator } from '../authenticate.js';
import type { DashboardApp, DashboardDeps } from '../types.js';
import { AdminUser, toAdminUser } from './admin-users.views.js';

/**
 * POST /v1/admin/users/:id/disable and /enable (administrators only). Disabling ends the user's sessions at
 * once and their keys and access tokens on this instance at once (the verification caches are dropped);
 * other instances follow within the cache TTL (CAIRN_AUTH_CACHE_TTL_SECONDS).
 */
export function adminUsersSetDisabled(app: DashboardApp, { users, accounts, onAccessChanged }: Pick<DashboardDeps, 'users' | 'accounts' | 'onAccessChanged'>): void {
  for (const [action, disabled] of [['disable', true], ['enable', false]] as const) {
    app.post(`/v1/admin/users/:id/${action}`, { schema: { params: IdParams, response: { 200: z.object({ user: AdminUser }), ...errorResponses } } }, async (req) => {
      requireAdministrator(req);
      const user = await users.setDisabled(principalOf(req), req.params.id, disabled);
      onAccessChanged();
      if (disabled) await accounts.endAllSessions(user.id);
      const summary = (await users.listWithActivity()).find((u) => u.id === user.id);
      return { user: toAdminUser(summary ?? user) };
    });
  }
}
