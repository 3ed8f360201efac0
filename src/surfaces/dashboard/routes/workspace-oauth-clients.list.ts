import { z } from 'zod';
import { principalOf } from '../../auth-hook.js';
import { errorResponses } from '../../rest/views.js';
import type { DashboardApp, DashboardDeps } from '../types.js';
import { toWorkspaceOAuthClientView, WorkspaceOAuthClientView } from './workspace-connections.views.js';

/** GET /v1/workspace/oauth-clients (the workspace's owner or an admin): every client-credentials client of the workspace, with its holder; never a secret. */
export function workspaceOAuthClientsList(app: DashboardApp, { workspaceConnections }: Pick<DashboardDeps, 'workspaceConnections'>): void {
  app.get('/v1/workspace/oauth-clients', { schema: { response: { 200: z.object({ clients: z.array(WorkspaceOAuthClientView) }), ...errorResponses } } }, async (req) => ({
    clients: (await workspaceConnections.machineClients(principalOf(req))).map(toWorkspaceOAuthClientView),
  }));
}
