import { z } from 'zod';
import { ROLES } from '../../../core/users/user.js';
import { principalOf } from '../../auth-hook.js';
import type { DashboardApp, DashboardDeps } from '../types.js';
import { MemberView, toMemberView, workspaceErrorResponses } from './workspaces.views.js';

/** GET /v1/members: everyone in the workspace; `canManage` when the person may invite, change roles and remove. */
export function membersList(app: DashboardApp, { workspaces }: Pick<DashboardDeps, 'workspaces'>): void {
  app.get(
    '/v1/members',
    {
      schema: {
        response: {
          200: z.object({ members: z.array(MemberView), myRole: z.enum(ROLES), canManage: z.boolean(), kind: z.enum(['personal', 'shared']) }),
          ...workspaceErrorResponses,
        },
      },
    },
    async (req) => {
      const { members, myRole, canManage, kind } = await workspaces.members(principalOf(req));
      return { members: members.map(toMemberView), myRole, canManage, kind };
    },
  );
}
