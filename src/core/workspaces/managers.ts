import { AppError, notFound } from '../../errors/app-error.js';
import type { Role, UserStore } from '../users/user.js';

/** Roles that manage a workspace's members, apps and credentials. */
export const MANAGERS: readonly Role[] = ['owner', 'admin'];

/** Who holds a credential of a workspace, as its owners and admins see it; `role` null: no longer a member. */
export interface CredentialHolder {
  readonly userId: string;
  readonly email: string;
  readonly name: string | null;
  readonly role: Role | null;
}

/**
 * The principal's role in its workspace if it is an owner or admin there; 403 FORBIDDEN (naming the role)
 * for a member or viewer, 404 for a principal that is no longer a member (it sees nothing).
 */
export async function requireManager(users: Pick<UserStore, 'roleIn'>, principal: { readonly userId: string; readonly workspaceId: string }, what: string): Promise<Role> {
  const role = await users.roleIn(principal.userId, principal.workspaceId);
  if (!role) throw notFound('Workspace');
  assertManager(role, what);
  return role;
}

/** 403 FORBIDDEN, naming the role and what it cannot do, unless `role` manages its workspace. */
export function assertManager(role: Role, what: string): void {
  if (!MANAGERS.includes(role)) throw new AppError('FORBIDDEN', `Only the workspace's owner or an admin can ${what} (your role: ${role}).`);
}
