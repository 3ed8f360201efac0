import { z } from 'zod';
import { principalOf } from '../../auth-hook.js';
import { errorResponses } from '../../rest/views.js';
import type { DashboardApp, DashboardDeps } from '../types.js';
import { toWorkspaceConnectionView, WorkspaceConnectionView } from './workspace-connections.views.js';

/** GET /v1/workspace/connections (the workspace's owner or an admin): every connected app (OAuth grant) of the workspace, with its holder. */
export function workspaceConnectionsList(app: DashboardApp, { workspaceConnections }: Pick<DashboardDeps, 'workspaceConnections'>): void {
  app.get('/v1/workspace/connections', { schema: { response: { 200: z.object({ connections: z.array(WorkspaceConnectionView) }), ...errorResponses } } }, async (req) => {
    const { grants, redirectHosts } = await workspaceConnections.connections(principalOf(req));
    return { connections: grants.map((g) => toWorkspaceConnectionView(g, redirectHosts.get(g.clientId) ?? [])) };
  });
}
