import { z } from 'zod';
import type { WorkspaceKeyView as WorkspaceKey } from '../../../auth/api-keys/workspace-keys.js';
import { ROLES } from '../../../core/users/user.js';
import { KeyView, toKeyView } from '../../rest/views.js';

/** A key of the workspace with its holder (role null: no longer a member, so the key no longer works). */
export const WorkspaceKeyView = z.object({
  ...KeyView.shape,
  holder: z.object({ userId: z.string(), email: z.string(), name: z.string().nullable(), role: z.enum(ROLES).nullable() }),
});

export function toWorkspaceKeyView(k: WorkspaceKey): z.infer<typeof WorkspaceKeyView> {
  return { ...toKeyView(k), holder: { userId: k.holder.userId, email: k.holder.email, name: k.holder.name, role: k.holder.role } };
}
