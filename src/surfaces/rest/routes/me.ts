import { z } from 'zod';
import { SCOPES } from '../../../core/scopes.js';
import { principalOf } from '../../auth-hook.js';
import type { RestApp, RestDeps } from '../types.js';
import { errorResponses } from '../views.js';

const Me = z.object({
  user: z.object({ id: z.string(), email: z.string(), name: z.string().nullable() }),
  workspace: z.object({ id: z.string(), name: z.string(), role: z.string() }),
  scopes: z.array(z.enum(SCOPES)),
  credential: z.object({ kind: z.string(), id: z.string() }),
  app: z.object({ id: z.string() }),
});

/** GET /v1/me: who this credential is. Any valid credential may ask. */
export function me(app: RestApp, { users }: Pick<RestDeps, 'users'>): void {
  app.get('/v1/me', { schema: { tags: ['me'], summary: 'Describe the calling credential', response: { 200: Me, ...errorResponses } } }, async (req) => {
    const p = principalOf(req);
    const { user, workspace } = await users.describe(p.userId, p.workspaceId);
    return {
      user: { id: user.id, email: user.email, name: user.name },
      workspace: { id: workspace.id, name: workspace.name, role: workspace.role },
      scopes: [...p.scopes].sort(),
      credential: { kind: p.credential.kind, id: p.credential.id },
      app: { id: p.appId },
    };
  });
}
