import type { AuditEvent } from '../audit/audit.js';
import type { Role, Workspace } from '../users/user.js';

/** A person in a workspace, as the members page shows them. */
export interface Member {
  readonly userId: string;
  readonly email: string;
  readonly name: string | null;
  readonly role: Role;
  readonly joinedAt: number;
}

/** A stored invitation; `hash` is the SHA-256 of the token in the link (the token itself is never stored). */
export interface Invitation {
  readonly id: string;
  readonly workspaceId: string;
  readonly hash: string;
  readonly role: Role;
  /** Lower-cased; null = anyone signed in who holds the link. */
  readonly email: string | null;
  readonly createdByUserId: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly acceptedAt: number | null;
  readonly acceptedByUserId: string | null;
  readonly revokedAt: number | null;
}

/** An invitation with what the invitee is shown: the workspace and who invited them. */
export interface InvitationDetails extends Invitation {
  readonly workspace: Workspace;
  readonly createdBy: { readonly email: string; readonly name: string | null };
}

/** Why a membership change was refused inside the store's transaction. */
export type MembershipRefusal = 'not_member' | 'last_owner';

/** What an ownership transfer came to: both members as they are now, or why nothing changed. */
export type TransferOutcome = { readonly owner: Member; readonly previousOwner: Member } | 'not_member' | 'not_owner';

/** What accepting an invitation came to; only `accepted` changed anything. */
export type AcceptOutcome =
  | { readonly outcome: 'accepted'; readonly workspace: Workspace; readonly role: Role }
  | { readonly outcome: 'not_found' | 'used' | 'expired' | 'already_member' };

/**
 * Shared workspaces, their members and invitations (src/storage/workspaces-repo.ts). Every change appends
 * its audit event in the same transaction. Rules that depend on the other rows of the workspace (the last
 * owner, single use) are decided inside the transaction, under a lock on the workspace, so two concurrent
 * changes cannot both pass.
 */
export interface WorkspaceStore {
  get(workspaceId: string): Promise<Workspace | undefined>;
  /** Every workspace with its number of members, oldest first (the CLI's list). */
  list(): Promise<(Workspace & { members: number })[]>;
  /** Creates a shared workspace with `ownerUserId` as its owner. */
  createShared(workspace: Workspace, ownerUserId: string, audit: AuditEvent): Promise<void>;
  members(workspaceId: string): Promise<Member[]>;
  member(workspaceId: string, userId: string): Promise<Member | undefined>;
  /** Sets the member's role unless that would leave the workspace without an owner. */
  setRole(workspaceId: string, userId: string, role: Role, audit: AuditEvent): Promise<Member | MembershipRefusal>;
  /** Removes the membership unless the member is the last owner. */
  removeMember(workspaceId: string, userId: string, audit: AuditEvent): Promise<'removed' | MembershipRefusal>;
  /**
   * Makes `toUserId` an owner and `fromUserId` (who must be an owner) an admin, in one transaction under the
   * workspace lock, so the workspace never lacks an owner. `audit` builds the events from the target's role
   * before the change. `not_owner`: the caller stopped being an owner meanwhile; `not_member`: no such target.
   */
  transferOwnership(workspaceId: string, fromUserId: string, toUserId: string, now: number, audit: (targetRole: Role) => readonly AuditEvent[]): Promise<TransferOutcome>;
  createInvitation(invitation: Invitation, audit: AuditEvent): Promise<void>;
  /** Neither accepted nor revoked nor expired at `now`, oldest first. */
  pendingInvitations(workspaceId: string, now: number): Promise<InvitationDetails[]>;
  findInvitation(hash: string): Promise<InvitationDetails | undefined>;
  /** Revokes a pending invitation of the workspace; false when there is none with this id. */
  revokeInvitation(workspaceId: string, id: string, now: number, audit: AuditEvent): Promise<boolean>;
  /**
   * Consumes the invitation (only if unused, unrevoked and unexpired at `now`) and adds `userId` with its role,
   * in one transaction; `audit` builds the event from the invitation that was accepted.
   */
  acceptInvitation(hash: string, userId: string, now: number, audit: (invitation: Invitation) => AuditEvent): Promise<AcceptOutcome>;
  /** Deletes a shared workspace and everything in it; false when there is no such shared workspace. */
  deleteShared(workspaceId: string, audit: AuditEvent): Promise<boolean>;
}
