import { createHash } from 'node:crypto';
import { AppError, notFound } from '../../errors/app-error.js';
import type { AuditAction, AuditEvent } from '../audit/audit.js';
import type { Clock } from '../clock.js';
import { BASE62_ALPHABET, newId, randomBase62 } from '../ids.js';
import type { CredentialKind } from '../principal.js';
import { normaliseEmail } from '../users/user-service.js';
import type { Role, UserStore, Workspace } from '../users/user.js';
import { assertManager, MANAGERS } from './managers.js';
import type { RoleGuard } from './role-guard.js';
import type { Invitation, InvitationDetails, Member, WorkspaceStore } from './workspace.js';

export const DEFAULT_INVITATION_HOURS = 7 * 24;
export const MAX_INVITATION_HOURS = 30 * 24;
export const MAX_WORKSPACE_NAME = 100;

const TOKEN_LENGTH = 32; // base62: about 190 random bits
const TOKEN_SHAPE = new RegExp(`^[${BASE62_ALPHABET}]{${TOKEN_LENGTH}}$`);
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Who acts: the dashboard session's principal, or the CLI (no credential, no app). */
export interface WorkspaceActor {
  readonly userId: string;
  /** The workspace the actor acts in (for create and accept: the one it acted from). */
  readonly workspaceId: string;
  readonly credential: { readonly kind: CredentialKind | 'cli'; readonly id: string | null };
  readonly appId: string | null;
  readonly requestId?: string;
}

/** What the service tells the rest of this instance, so a change applies here at once. */
export interface MembershipListener {
  /** A role changed or (undefined) a membership ended. */
  roleChanged(userId: string, workspaceId: string, role: Role | undefined): void;
  workspaceDeleted(workspaceId: string): void;
}

/**
 * Shared workspaces (issue 5): creating one, its members and their roles, invitations by link, leaving and
 * deleting. Rules (docs/security-model.md):
 * - viewer reads; member reads and writes memories; admin also manages members (not owners), invitations
 *   and apps; owner also makes or unmakes owners and deletes the workspace.
 * - A workspace always keeps an owner (LAST_OWNER), decided inside the store's transaction.
 * - Personal workspaces have exactly one member and cannot be deleted.
 * - An invitation's token is shown once, stored as its SHA-256, works once and until it expires.
 */
export class WorkspaceService {
  constructor(
    private readonly store: WorkspaceStore,
    private readonly users: Pick<UserStore, 'findById' | 'roleIn'>,
    private readonly listener: MembershipListener,
    private readonly clock: Clock,
  ) {}

  async create(actor: WorkspaceActor, input: { name: string }): Promise<Workspace & { role: Role }> {
    const name = workspaceName(input.name);
    const now = this.clock.now();
    const workspace: Workspace = { id: newId('ws', now), name, kind: 'shared', createdAt: now };
    await this.store.createShared(workspace, actor.userId, this.event('workspace.create', actor, workspace.id, workspace.id, now, { name }));
    this.listener.roleChanged(actor.userId, workspace.id, 'owner');
    return { ...workspace, role: 'owner' };
  }

  /** Every workspace on this server with its member count (administration: the CLI). */
  listAll(): Promise<(Workspace & { members: number })[]> {
    return this.store.list();
  }

  /** The workspace with this id and its members (administration: the CLI). */
  async describe(workspaceId: string): Promise<{ workspace: Workspace; members: Member[] }> {
    const workspace = await this.store.get(workspaceId);
    if (!workspace) throw notFound(`Workspace ${workspaceId}`);
    return { workspace, members: await this.store.members(workspaceId) };
  }

  /** Everyone in the principal's workspace (any member may see who else is in it). */
  async members(principal: WorkspaceActor): Promise<{ members: Member[]; myRole: Role; canManage: boolean; kind: Workspace['kind'] }> {
    const { workspace, role } = await this.context(principal);
    return { members: await this.store.members(workspace.id), myRole: role, canManage: workspace.kind === 'shared' && MANAGERS.includes(role), kind: workspace.kind };
  }

  async setRole(principal: WorkspaceActor, userId: string, role: Role): Promise<Member> {
    const { workspace, role: mine } = await this.context(principal);
    requireShared(workspace, 'Roles can only be changed in a shared workspace.');
    assertManager(mine, 'change roles');
    const target = await this.store.member(workspace.id, userId);
    if (!target) throw notFound('Member');
    if (target.role === role) return target;
    if (mine !== 'owner' && (target.role === 'owner' || role === 'owner')) {
      throw new AppError('FORBIDDEN', `Only an owner can make someone an owner or change an owner's role (your role: ${mine}).`);
    }
    const now = this.clock.now();
    const outcome = await this.store.setRole(workspace.id, userId, role, this.event('member.role', principal, workspace.id, userId, now, { email: target.email, from: target.role, to: role }));
    if (outcome === 'not_member') throw notFound('Member');
    if (outcome === 'last_owner') throw lastOwner();
    this.listener.roleChanged(userId, workspace.id, role);
    return outcome;
  }

  /** Removes a member; removing yourself is leaving (any role may leave, the last owner may not). */
  async removeMember(principal: WorkspaceActor, userId: string): Promise<void> {
    const { workspace, role: mine } = await this.context(principal);
    requireShared(workspace, 'Nobody can be removed from a personal workspace.');
    const leaving = userId === principal.userId;
    if (!leaving) assertManager(mine, 'remove members');
    const target = await this.store.member(workspace.id, userId);
    if (!target) throw notFound('Member');
    if (!leaving && target.role === 'owner' && mine !== 'owner') throw new AppError('FORBIDDEN', `Only an owner can remove an owner (your role: ${mine}).`);
    const now = this.clock.now();
    const outcome = await this.store.removeMember(workspace.id, userId, this.event('member.remove', principal, workspace.id, userId, now, { email: target.email, role: target.role, left: leaving }));
    if (outcome === 'not_member') throw notFound('Member');
    if (outcome === 'last_owner') throw lastOwner();
    this.listener.roleChanged(userId, workspace.id, undefined);
  }

  /**
   * Hands the workspace over (owner only): the member becomes owner and the caller admin, in one transaction,
   * audited as two `member.role` events marked `transfer`. The caller stays an admin and can leave afterwards.
   */
  async transferOwnership(principal: WorkspaceActor, userId: string): Promise<{ owner: Member; previousOwner: Member }> {
    const { workspace, role: mine } = await this.context(principal);
    requireShared(workspace, 'A personal workspace has one owner and cannot be handed over.');
    if (mine !== 'owner') throw new AppError('FORBIDDEN', `Only an owner can hand the workspace over (your role: ${mine}).`);
    if (userId === principal.userId) throw new AppError('INVALID_INPUT', 'Choose another member: you are already an owner.', { field: 'userId' });
    const [target, me] = await Promise.all([this.store.member(workspace.id, userId), this.store.member(workspace.id, principal.userId)]);
    if (!target || !me) throw notFound('Member');
    const now = this.clock.now();
    const outcome = await this.store.transferOwnership(workspace.id, principal.userId, userId, now, (targetRole) => [
      this.event('member.role', principal, workspace.id, userId, now, { email: target.email, from: targetRole, to: 'owner', transfer: true }),
      this.event('member.role', principal, workspace.id, principal.userId, now, { email: me.email, from: 'owner', to: 'admin', transfer: true }),
    ]);
    if (outcome === 'not_member') throw notFound('Member');
    if (outcome === 'not_owner') throw new AppError('FORBIDDEN', 'Only an owner can hand the workspace over, and you are no longer one.');
    this.listener.roleChanged(userId, workspace.id, 'owner');
    this.listener.roleChanged(principal.userId, workspace.id, 'admin');
    return outcome;
  }

  async invitations(principal: WorkspaceActor): Promise<InvitationDetails[]> {
    const { workspace, role } = await this.context(principal);
    assertManager(role, 'see invitations');
    return this.store.pendingInvitations(workspace.id, this.clock.now());
  }

  /** A new invitation to the principal's workspace; the token is returned once and only its hash is kept. */
  async invite(principal: WorkspaceActor, input: { role: Role; email?: string | null; expiresInHours?: number }): Promise<{ invitation: InvitationDetails; token: string }> {
    const { workspace, role: mine } = await this.context(principal);
    requireShared(workspace, 'A personal workspace cannot have members; create a shared workspace to invite people.');
    assertManager(mine, 'invite people');
    if (input.role === 'owner' && mine !== 'owner') throw new AppError('FORBIDDEN', `Only an owner can invite someone as an owner (your role: ${mine}).`);
    const hours = input.expiresInHours ?? DEFAULT_INVITATION_HOURS;
    if (!Number.isInteger(hours) || hours < 1 || hours > MAX_INVITATION_HOURS) {
      throw new AppError('INVALID_INPUT', `An invitation lasts from 1 hour to ${MAX_INVITATION_HOURS} hours (30 days).`, { field: 'expiresInHours' });
    }
    let email: string | null = null;
    if (input.email !== undefined && input.email !== null && input.email.trim() !== '') {
      email = normaliseEmail(input.email);
      if (!EMAIL.test(email) || email.length > 320) throw new AppError('INVALID_INPUT', `"${input.email}" is not an email address.`, { field: 'email' });
    }
    const inviter = await this.users.findById(principal.userId);
    if (!inviter) throw notFound('User');
    const token = randomBase62(TOKEN_LENGTH);
    const now = this.clock.now();
    const invitation: Invitation = {
      id: newId('inv', now),
      workspaceId: workspace.id,
      hash: hashInvitationToken(token),
      role: input.role,
      email,
      createdByUserId: principal.userId,
      createdAt: now,
      expiresAt: now + hours * 3600_000,
      acceptedAt: null,
      acceptedByUserId: null,
      revokedAt: null,
    };
    await this.store.createInvitation(invitation, this.event('invitation.create', principal, workspace.id, invitation.id, now, { role: input.role, email, expiresAt: invitation.expiresAt }));
    return { invitation: { ...invitation, workspace, createdBy: { email: inviter.email, name: inviter.name } }, token };
  }

  async revokeInvitation(principal: WorkspaceActor, id: string): Promise<void> {
    const { workspace, role } = await this.context(principal);
    assertManager(role, 'revoke invitations');
    const now = this.clock.now();
    if (!(await this.store.revokeInvitation(workspace.id, id, now, this.event('invitation.revoke', principal, workspace.id, id, now)))) throw notFound('Invitation');
  }

  /** What an invitation offers, for the person who opened its link (nothing is changed). */
  async inspect(userId: string, token: string): Promise<InvitationDetails> {
    const invitation = await this.live(token);
    await this.requireAddressee(invitation, userId);
    return invitation;
  }

  /** Joins the invitation's workspace with its role; the invitation is used up in the same transaction. */
  async accept(actor: WorkspaceActor, token: string): Promise<Workspace & { role: Role }> {
    const invitation = await this.live(token);
    await this.requireAddressee(invitation, actor.userId);
    const now = this.clock.now();
    const outcome = await this.store.acceptInvitation(invitation.hash, actor.userId, now, (inv) =>
      this.event('invitation.accept', actor, inv.workspaceId, inv.id, now, { role: inv.role, invitedBy: inv.createdByUserId }),
    );
    switch (outcome.outcome) {
      case 'accepted':
        this.listener.roleChanged(actor.userId, outcome.workspace.id, outcome.role);
        return { ...outcome.workspace, role: outcome.role };
      case 'already_member':
        throw new AppError('CONFLICT', `You are already a member of "${invitation.workspace.name}".`);
      case 'not_found':
        throw notFound('Invitation');
      case 'expired':
        throw invitationExpired();
      case 'used':
        throw invitationUsed();
    }
  }

  /** Deletes the principal's (shared) workspace with every memory, key and app in it; owners only, with its name typed as confirmation. */
  async deleteWorkspace(principal: WorkspaceActor, confirm: string): Promise<void> {
    const { workspace, role } = await this.context(principal);
    requireShared(workspace, 'A personal workspace cannot be deleted.');
    if (role !== 'owner') throw new AppError('FORBIDDEN', `Only an owner can delete the workspace (your role: ${role}).`);
    if (confirm !== workspace.name) throw new AppError('INVALID_INPUT', 'Type the workspace name exactly to confirm its deletion.', { field: 'confirm' });
    const now = this.clock.now();
    if (!(await this.store.deleteShared(workspace.id, this.event('workspace.delete', principal, workspace.id, workspace.id, now, { name: workspace.name })))) throw notFound('Workspace');
    this.listener.workspaceDeleted(workspace.id);
  }

  /** The principal's workspace and role; a principal that is no longer a member sees nothing (404). */
  private async context(principal: WorkspaceActor): Promise<{ workspace: Workspace; role: Role }> {
    const [workspace, role] = await Promise.all([this.store.get(principal.workspaceId), this.users.roleIn(principal.userId, principal.workspaceId)]);
    if (!workspace || !role) throw notFound('Workspace');
    return { workspace, role };
  }

  /** The invitation behind a token, if it can still be accepted. */
  private async live(token: string): Promise<InvitationDetails> {
    if (!TOKEN_SHAPE.test(token)) throw notFound('Invitation');
    const invitation = await this.store.findInvitation(hashInvitationToken(token));
    if (!invitation) throw notFound('Invitation');
    if (invitation.acceptedAt !== null || invitation.revokedAt !== null) throw invitationUsed();
    if (invitation.expiresAt <= this.clock.now()) throw invitationExpired();
    return invitation;
  }

  private async requireAddressee(invitation: Invitation, userId: string): Promise<void> {
    if (invitation.email === null) return;
    const user = await this.users.findById(userId);
    if (!user || normaliseEmail(user.email) !== invitation.email) {
      throw new AppError('INVITATION_EMAIL_MISMATCH', 'This invitation is for another email address: sign in with the account it was sent to.');
    }
  }

  private event(action: AuditAction, actor: WorkspaceActor, workspaceId: string, targetId: string, at: number, detail: Record<string, unknown> | null = null): AuditEvent {
    return {
      at,
      workspaceId,
      userId: actor.userId,
      credentialKind: actor.credential.kind,
      credentialId: actor.credential.id,
      // The app is the actor's, in the workspace it acted from; in another workspace it means nothing.
      appId: workspaceId === actor.workspaceId ? actor.appId : null,
      action,
      targetId,
      requestId: actor.requestId ?? null,
      detail,
    };
  }
}

/** The SHA-256 (hex) an invitation token is stored and looked up as. */
export function hashInvitationToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** The link an invitation is accepted at; the token rides in the fragment, which never reaches a server log. */
export function invitationUrl(publicUrl: string, token: string): string {
  return `${publicUrl}/dashboard/invite#${token}`;
}

function workspaceName(raw: string): string {
  const name = raw.trim();
  if (name.length === 0 || name.length > MAX_WORKSPACE_NAME) {
    throw new AppError('INVALID_INPUT', `A workspace name has 1 to ${MAX_WORKSPACE_NAME} characters.`, { field: 'name' });
  }
  return name;
}

function requireShared(workspace: Workspace, message: string): void {
  if (workspace.kind !== 'shared') throw new AppError('INVALID_INPUT', message);
}

function lastOwner(): AppError {
  return new AppError('LAST_OWNER', 'A workspace must keep at least one owner: make someone else an owner first, or delete the workspace.');
}

function invitationUsed(): AppError {
  return new AppError('INVITATION_USED', 'This invitation has already been used or was revoked; ask for a new one.');
}

function invitationExpired(): AppError {
  return new AppError('INVITATION_EXPIRED', 'This invitation has expired; ask for a new one.');
}
