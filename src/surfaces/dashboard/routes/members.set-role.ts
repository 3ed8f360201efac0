import { z } from 'zod';
import { ROLES } from '../../../core/users/user.js';
import { principalOf } from '../../auth-hook.js';
import { IdParams } from '../../rest/views.js';
import type { DashboardApp, DashboardDeps } from '../types.js';
import { MemberView, toMemberView, workspaceErrorResponses } from './workspaces.views.js';

/**
 * PATCH /v1/members/:id `{ role }` (:id is the member's user id): owner or admin; only an owner makes or
 * unmakes owners; 409 LAST_OWNER when the workspace would be left without one.
 */
export function membersSetRole(app: DashboardApp, { workspaces }: Pick<DashboardDeps, 'workspaces'>): void {
  app.patch(
    '/v1/members/:id',
    { schema: { params: IdParams, body: z.object({ role: z.enum(ROLES) }).strict(), response: { 200: z.object({ member: MemberView }), ...workspaceErrorResponses } } },
    async (req) => ({ member: toMemberView(await workspaces.setRole(principalOf(req), req.params.id, req.body.role)) }),
  );
}
