import { z } from 'zod';
import { principalOf } from '../../auth-hook.js';
import type { DashboardApp, DashboardDeps } from '../types.js';
import { workspaceErrorResponses } from './workspaces.views.js';

/**
 * DELETE /v1/workspace `{ confirm }` (owner of a shared workspace; `confirm` is its name): deletes the
 * workspace with its memories, keys, apps and invitations.
 */
export function workspaceDelete(app: DashboardApp, { workspaces }: Pick<DashboardDeps, 'workspaces'>): void {
  app.delete(
    '/v1/workspace',
    { schema: { body: z.object({ confirm: z.string().max(200) }).strict(), response: { 204: z.null(), ...workspaceErrorResponses } } },
    async (req, reply) => {
      await workspaces.deleteWorkspace(principalOf(req), req.body.confirm);
      return reply.code(204).send(null);
    },
  );
}
