import { z } from 'zod';
import { principalOf } from '../../auth-hook.js';
import type { DashboardApp, DashboardDeps } from '../types.js';
import { MemberView, toMemberView, workspaceErrorResponses } from './workspaces.views.js';

/**
 * POST /v1/workspace/transfer `{ userId }` (an owner of a shared workspace): in one transaction the member
 * becomes owner and the caller admin. Not a member: 404; yourself or a personal workspace: 400.
 */
export function workspaceTransfer(app: DashboardApp, { workspaces }: Pick<DashboardDeps, 'workspaces'>): void {
  app.post(
    '/v1/workspace/transfer',
    {
      schema: {
        body: z.object({ userId: z.string().min(1).max(100) }).strict(),
        response: { 200: z.object({ owner: MemberView, previousOwner: MemberView }), ...workspaceErrorResponses },
      },
    },
    async (req) => {
      const { owner, previousOwner } = await workspaces.transferOwnership(principalOf(req), req.body.userId);
      return { owner: toMemberView(owner), previousOwner: toMemberView(previousOwner) };
    },
  );
}
