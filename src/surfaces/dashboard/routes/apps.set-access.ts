import { z } from 'zod';
import { APP_ACCESS } from '../../../core/users/user.js';
import { principalOf } from '../../auth-hook.js';
import { errorResponses, IdParams } from '../../rest/views.js';
import type { DashboardApp, DashboardDeps } from '../types.js';
import { AppView, toAppView } from './apps.views.js';

/**
 * PATCH /v1/apps/:id `{ access }` (the workspace's owner or an admin): `full`, `read_only` or `paused`. It applies
 * on this instance at once and on others within the credential cache time (CAIRN_AUTH_CACHE_TTL_SECONDS).
 */
export function appsSetAccess(app: DashboardApp, { appControls }: Pick<DashboardDeps, 'appControls'>): void {
  app.patch(
    '/v1/apps/:id',
    { schema: { params: IdParams, body: z.object({ access: z.enum(APP_ACCESS) }).strict(), response: { 200: z.object({ app: AppView }), ...errorResponses } } },
    async (req) => ({ app: toAppView(await appControls.setAccess(principalOf(req), req.params.id, req.body.access)) }),
  );
}
