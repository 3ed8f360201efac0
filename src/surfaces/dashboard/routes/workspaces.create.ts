import { z } from 'zod';
import { principalOf } from '../../auth-hook.js';
import type { DashboardApp, DashboardDeps } from '../types.js';
import { toWorkspaceView, WorkspaceView, workspaceErrorResponses } from './workspaces.views.js';

/** POST /v1/workspaces `{ name }`: a new shared workspace with the signed-in person as its owner. */
export function workspacesCreate(app: DashboardApp, { workspaces }: Pick<DashboardDeps, 'workspaces'>): void {
  app.post(
    '/v1/workspaces',
    { schema: { body: z.object({ name: z.string().max(200) }).strict(), response: { 201: z.object({ workspace: WorkspaceView }), ...workspaceErrorResponses } } },
    async (req, reply) => reply.code(201).send({ workspace: toWorkspaceView(await workspaces.create(principalOf(req), req.body)) }),
  );
}
