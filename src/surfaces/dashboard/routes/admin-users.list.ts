import { z } from 'zod';
import { errorResponses } from '../../rest/views.js';
import { requireAdministrator } from '../authenticate.js';
import type { DashboardApp, DashboardDeps } from '../types.js';
import { AdminUser, toAdminUser } from './admin-users.views.js';

/** GET /v1/admin/users: every user with memory count and latest activity (administrators only). */
export function adminUsersList(app: DashboardApp, { users }: Pick<DashboardDeps, 'users'>): void {
  app.get('/v1/admin/users', { schema: { response: { 200: z.object({ users: z.array(AdminUser) }), ...errorResponses } } }, async (req) => {
    requireAdministrator(req);
    return { users: (await users.listWithActivity()).map(toAdminUser) };
  });
}
