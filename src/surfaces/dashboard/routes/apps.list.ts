import { z } from 'zod';
import { principalOf } from '../../auth-hook.js';
import { errorResponses } from '../../rest/views.js';
import type { DashboardApp, DashboardDeps } from '../types.js';
import { AppView, toAppView } from './apps.views.js';

/** GET /v1/apps: every app that has written or may write in the workspace, with its access; `canManage` when the person may change it. */
export function appsList(app: DashboardApp, { appControls }: Pick<DashboardDeps, 'appControls'>): void {
  app.get('/v1/apps', { schema: { response: { 200: z.object({ apps: z.array(AppView), canManage: z.boolean() }), ...errorResponses } } }, async (req) => {
    const { apps, canManage } = await appControls.list(principalOf(req));
    return { apps: apps.map(toAppView), canManage };
  });
}
