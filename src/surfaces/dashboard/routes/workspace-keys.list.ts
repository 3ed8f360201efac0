import { z } from 'zod';
import { principalOf } from '../../auth-hook.js';
import { errorResponses } from '../../rest/views.js';
import type { DashboardApp, DashboardDeps } from '../types.js';
import { toWorkspaceKeyView, WorkspaceKeyView } from './workspace-keys.views.js';

/** GET /v1/workspace/keys (the workspace's owner or an admin): every API key acting in the workspace, with its holder; never a key or its hash. */
export function workspaceKeysList(app: DashboardApp, { workspaceKeys }: Pick<DashboardDeps, 'workspaceKeys'>): void {
  app.get('/v1/workspace/keys', { schema: { response: { 200: z.object({ keys: z.array(WorkspaceKeyView) }), ...errorResponses } } }, async (req) => ({
    keys: (await workspaceKeys.list(principalOf(req))).map(toWorkspaceKeyView),
  }));
}
