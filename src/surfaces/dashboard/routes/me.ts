import { z } from 'zod';
import { principalOf } from '../../auth-hook.js';
import { errorResponses } from '../../rest/views.js';
import { sessionOf } from '../authenticate.js';
import type { DashboardApp, DashboardDeps } from '../types.js';

const Me = z.object({
  user: z.object({ id: z.string(), email: z.string(), name: z.string().nullable(), isAdmin: z.boolean() }),
  workspace: z.object({ id: z.string(), name: z.string(), role: z.string() }),
  workspaces: z.array(z.object({ id: z.string(), name: z.string(), kind: z.string(), role: z.string() })),
  session: z.object({ id: z.string() }),
  publicUrl: z.string(),
  mcpUrl: z.string(),
});

/** GET /v1/me: who is signed in, the workspace this request acts in and the others they can switch to. */
export function dashboardMe(app: DashboardApp, { users, publicUrl }: Pick<DashboardDeps, 'users' | 'publicUrl'>): void {
  app.get('/v1/me', { schema: { response: { 200: Me, ...errorResponses } } }, async (req) => {
    const p = principalOf(req);
    const session = sessionOf(req);
    const [{ user, workspace }, workspaces] = await Promise.all([users.describe(p.userId, p.workspaceId), users.workspacesOf(p.userId)]);
    return {
      user: { id: user.id, email: user.email, name: user.name, isAdmin: user.isAdmin },
      workspace: { id: workspace.id, name: workspace.name, role: workspace.role },
      workspaces: workspaces.map((w) => ({ id: w.id, name: w.name, kind: w.kind, role: w.role })),
      session: { id: session.sessionId },
      publicUrl,
      mcpUrl: `${publicUrl}/mcp`,
    };
  });
}
