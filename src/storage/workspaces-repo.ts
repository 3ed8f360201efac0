import type { Kysely, Selectable, Transaction } from 'kysely';
import type { AuditEvent } from '../core/audit/audit.js';
import type { Role, Workspace } from '../core/users/user.js';
import type { AcceptOutcome, Invitation, InvitationDetails, Member, MembershipRefusal, TransferOutcome, WorkspaceStore } from '../core/workspaces/workspace.js';
import { toAuditRow } from './audit-repo.js';
import type { StorageDialect } from './dialects/dialect.js';
import type { Database, WorkspaceInvitationsTable, WorkspacesTable } from './schema.js';

export class KyselyWorkspaceStore implements WorkspaceStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Pick<StorageDialect, 'lockWorkspace'>,
  ) {}

  async get(workspaceId: string): Promise<Workspace | undefined> {
    const row = await this.db.selectFrom('workspaces').selectAll().where('id', '=', workspaceId).executeTakeFirst();
    return row ? toWorkspace(row) : undefined;
  }

  async list(): Promise<(Workspace & { members: number })[]> {
    const rows = await this.db
      .selectFrom('workspaces as w')
      .leftJoin('memberships as ms', 'ms.workspace_id', 'w.id')
      .select(['w.id', 'w.name', 'w.kind', 'w.created_at', (eb) => eb.fn.count<number>('ms.user_id').as('members')])
      .groupBy(['w.id', 'w.name', 'w.kind', 'w.created_at'])
      .orderBy('w.created_at')
      .orderBy('w.id')
      .execute();
    return rows.map((r) => ({ ...toWorkspace(r), members: Number(r.members) }));
  }

  async createShared(workspace: Workspace, ownerUserId: string, audit: AuditEvent): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('workspaces').values({ id: workspace.id, name: workspace.name, kind: 'shared', created_at: workspace.createdAt }).execute();
      await trx.insertInto('memberships').values({ workspace_id: workspace.id, user_id: ownerUserId, role: 'owner', created_at: workspace.createdAt }).execute();
      await trx.insertInto('audit_log').values(toAuditRow(audit)).execute();
    });
  }

  async members(workspaceId: string): Promise<Member[]> {
    const rows = await this.memberQuery(this.db, workspaceId).orderBy('ms.created_at').orderBy('u.email').execute();
    return rows.map(toMember);
  }

  async member(workspaceId: string, userId: string): Promise<Member | undefined> {
    const row = await this.memberQuery(this.db, workspaceId).where('ms.user_id', '=', userId).executeTakeFirst();
    return row ? toMember(row) : undefined;
  }

  async setRole(workspaceId: string, userId: string, role: Role, audit: AuditEvent): Promise<Member | MembershipRefusal> {
    return this.db.transaction().execute(async (trx) => {
      const roles = await this.lockedRoles(trx, workspaceId);
      const current = roles.get(userId);
      if (current === undefined) return 'not_member';
      if (current === 'owner' && role !== 'owner' && ownersIn(roles) <= 1) return 'last_owner';
      await trx.updateTable('memberships').set({ role }).where('workspace_id', '=', workspaceId).where('user_id', '=', userId).execute();
      await revokeInvitationsBeyond(trx, workspaceId, userId, role, audit.at);
      await trx.insertInto('audit_log').values(toAuditRow(audit)).execute();
      const row = await this.memberQuery(trx, workspaceId).where('ms.user_id', '=', userId).executeTakeFirstOrThrow();
      return toMember(row);
    });
  }

  async removeMember(workspaceId: string, userId: string, audit: AuditEvent): Promise<'removed' | MembershipRefusal> {
    return this.db.transaction().execute(async (trx) => {
      const roles = await this.lockedRoles(trx, workspaceId);
      const current = roles.get(userId);
      if (current === undefined) return 'not_member';
      if (current === 'owner' && ownersIn(roles) <= 1) return 'last_owner';
      await trx.deleteFrom('memberships').where('workspace_id', '=', workspaceId).where('user_id', '=', userId).execute();
      await revokeInvitationsBeyond(trx, workspaceId, userId, undefined, audit.at);
      await trx.insertInto('audit_log').values(toAuditRow(audit)).execute();
      return 'removed';
    });
  }

  async transferOwnership(workspaceId: string, fromUserId: string, toUserId: string, now: number, audit: (targetRole: Role) => readonly AuditEvent[]): Promise<TransferOutcome> {
    return this.db.transaction().execute(async (trx): Promise<TransferOutcome> => {
      const roles = await this.lockedRoles(trx, workspaceId);
      if (roles.get(fromUserId) !== 'owner') return 'not_owner';
      const target = roles.get(toUserId);
      if (target === undefined) return 'not_member';
      // The target becomes owner before the caller steps down: at no point does the workspace lack an owner.
      await trx.updateTable('memberships').set({ role: 'owner' }).where('workspace_id', '=', workspaceId).where('user_id', '=', toUserId).execute();
      await trx.updateTable('memberships').set({ role: 'admin' }).where('workspace_id', '=', workspaceId).where('user_id', '=', fromUserId).execute();
      const events = audit(target);
      // An admin cannot invite owners: the caller's pending owner invitations go with the role.
      await revokeInvitationsBeyond(trx, workspaceId, fromUserId, 'admin', now);
      for (const event of events) await trx.insertInto('audit_log').values(toAuditRow(event)).execute();
      const owner = await this.memberQuery(trx, workspaceId).where('ms.user_id', '=', toUserId).executeTakeFirstOrThrow();
      const previousOwner = await this.memberQuery(trx, workspaceId).where('ms.user_id', '=', fromUserId).executeTakeFirstOrThrow();
      return { owner: toMember(owner), previousOwner: toMember(previousOwner) };
    });
  }

  async createInvitation(invitation: Invitation, audit: AuditEvent): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('workspace_invitations').values(toRow(invitation)).execute();
      await trx.insertInto('audit_log').values(toAuditRow(audit)).execute();
    });
  }

  async pendingInvitations(workspaceId: string, now: number): Promise<InvitationDetails[]> {
    const rows = await this.invitationQuery(this.db)
      .where('i.workspace_id', '=', workspaceId)
      .where('i.accepted_at', 'is', null)
      .where('i.revoked_at', 'is', null)
      .where('i.expires_at', '>', now)
      .orderBy('i.created_at')
      .orderBy('i.id')
      .execute();
    return rows.map(toDetails);
  }

  async findInvitation(hash: string): Promise<InvitationDetails | undefined> {
    const row = await this.invitationQuery(this.db).where('i.hash', '=', hash).executeTakeFirst();
    return row ? toDetails(row) : undefined;
  }

  async revokeInvitation(workspaceId: string, id: string, now: number, audit: AuditEvent): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const result = await trx
        .updateTable('workspace_invitations')
        .set({ revoked_at: now })
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', id)
        .where('accepted_at', 'is', null)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) return false;
      await trx.insertInto('audit_log').values(toAuditRow(audit)).execute();
      return true;
    });
  }

  async acceptInvitation(hash: string, userId: string, now: number, audit: (invitation: Invitation) => AuditEvent): Promise<AcceptOutcome> {
    return this.db.transaction().execute(async (trx): Promise<AcceptOutcome> => {
      const found = await trx.selectFrom('workspace_invitations').selectAll().where('hash', '=', hash).executeTakeFirst();
      if (!found) return { outcome: 'not_found' };
      await this.dialect.lockWorkspace(trx, found.workspace_id);
      const already = await trx.selectFrom('memberships').select('role').where('workspace_id', '=', found.workspace_id).where('user_id', '=', userId).executeTakeFirst();
      if (already) return { outcome: 'already_member' };
      // Single use: only one UPDATE can see the invitation pending; a second (or concurrent) accept changes nothing.
      const consumed = await trx
        .updateTable('workspace_invitations')
        .set({ accepted_at: now, accepted_by_user_id: userId })
        .where('hash', '=', hash)
        .where('accepted_at', 'is', null)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', now)
        .executeTakeFirst();
      if (Number(consumed.numUpdatedRows) === 0) {
        const latest = await trx.selectFrom('workspace_invitations').selectAll().where('hash', '=', hash).executeTakeFirstOrThrow();
        return { outcome: latest.accepted_at !== null || latest.revoked_at !== null ? 'used' : 'expired' };
      }
      const invitation = toInvitation(found);
      await trx.insertInto('memberships').values({ workspace_id: invitation.workspaceId, user_id: userId, role: invitation.role, created_at: now }).execute();
      await trx.insertInto('audit_log').values(toAuditRow(audit(invitation))).execute();
      const workspace = await trx.selectFrom('workspaces').selectAll().where('id', '=', invitation.workspaceId).executeTakeFirstOrThrow();
      return { outcome: 'accepted', workspace: toWorkspace(workspace), role: invitation.role };
    });
  }

  async deleteShared(workspaceId: string, audit: AuditEvent): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      await this.dialect.lockWorkspace(trx, workspaceId);
      // Rows that name the workspace's apps go first (they reference apps without a cascade); the rest cascades.
      await trx.deleteFrom('memories').where('workspace_id', '=', workspaceId).execute();
      await trx.deleteFrom('api_keys').where('workspace_id', '=', workspaceId).execute();
      await trx.deleteFrom('oauth_grants').where('workspace_id', '=', workspaceId).execute();
      await trx.deleteFrom('oauth_clients').where('workspace_id', '=', workspaceId).execute();
      const result = await trx.deleteFrom('workspaces').where('id', '=', workspaceId).where('kind', '=', 'shared').executeTakeFirst();
      if (Number(result.numDeletedRows) === 0) throw new NothingDeleted();
      await trx.insertInto('audit_log').values(toAuditRow(audit)).execute();
      return true;
    }).catch((err: unknown) => {
      if (err instanceof NothingDeleted) return false;
      throw err;
    });
  }

  /** Every member's role, read under the workspace lock, so the owner count cannot change until commit. */
  private async lockedRoles(trx: Transaction<Database>, workspaceId: string): Promise<Map<string, Role>> {
    await this.dialect.lockWorkspace(trx, workspaceId);
    const rows = await trx.selectFrom('memberships').select(['user_id', 'role']).where('workspace_id', '=', workspaceId).execute();
    return new Map(rows.map((r) => [r.user_id, r.role]));
  }

  private memberQuery(db: Kysely<Database>, workspaceId: string) {
    return db
      .selectFrom('memberships as ms')
      .innerJoin('users as u', 'u.id', 'ms.user_id')
      .select(['ms.user_id', 'u.email', 'u.name', 'ms.role', 'ms.created_at'])
      .where('ms.workspace_id', '=', workspaceId);
  }

  private invitationQuery(db: Kysely<Database>) {
    return db
      .selectFrom('workspace_invitations as i')
      .innerJoin('workspaces as w', 'w.id', 'i.workspace_id')
      .innerJoin('users as u', 'u.id', 'i.created_by_user_id')
      .selectAll('i')
      .select(['w.name as workspace_name', 'w.kind as workspace_kind', 'w.created_at as workspace_created_at', 'u.email as creator_email', 'u.name as creator_name']);
  }
}

/**
 * An invitation is only as good as its author's standing: when someone leaves, is removed or loses the right
 * to invite, their pending invitations they could no longer create are revoked in the same transaction (a
 * demoted owner's owner invitations; everything of someone who is no longer an owner or admin).
 */
async function revokeInvitationsBeyond(trx: Transaction<Database>, workspaceId: string, userId: string, role: Role | undefined, now: number): Promise<void> {
  if (role === 'owner') return;
  let pending = trx
    .updateTable('workspace_invitations')
    .set({ revoked_at: now })
    .where('workspace_id', '=', workspaceId)
    .where('created_by_user_id', '=', userId)
    .where('accepted_at', 'is', null)
    .where('revoked_at', 'is', null);
  if (role === 'admin') pending = pending.where('role', '=', 'owner');
  await pending.execute();
}

/** Rolls the deletion back (nothing else was touched) when there was no such shared workspace. */
class NothingDeleted extends Error {}

function ownersIn(roles: Map<string, Role>): number {
  let n = 0;
  for (const r of roles.values()) if (r === 'owner') n += 1;
  return n;
}

function toWorkspace(r: Selectable<WorkspacesTable>): Workspace {
  return { id: r.id, name: r.name, kind: r.kind, createdAt: Number(r.created_at) };
}

function toMember(r: { user_id: string; email: string; name: string | null; role: Role; created_at: number }): Member {
  return { userId: r.user_id, email: r.email, name: r.name, role: r.role, joinedAt: Number(r.created_at) };
}

function toRow(i: Invitation): Selectable<WorkspaceInvitationsTable> {
  return {
    id: i.id,
    workspace_id: i.workspaceId,
    hash: i.hash,
    role: i.role,
    email: i.email,
    created_by_user_id: i.createdByUserId,
    created_at: i.createdAt,
    expires_at: i.expiresAt,
    accepted_at: i.acceptedAt,
    accepted_by_user_id: i.acceptedByUserId,
    revoked_at: i.revokedAt,
  };
}

const num = (v: number | null): number | null => (v === null ? null : Number(v));

function toInvitation(r: Selectable<WorkspaceInvitationsTable>): Invitation {
  return {
    id: r.id,
    workspaceId: r.workspace_id,
    hash: r.hash,
    role: r.role,
    email: r.email,
    createdByUserId: r.created_by_user_id,
    createdAt: Number(r.created_at),
    expiresAt: Number(r.expires_at),
    acceptedAt: num(r.accepted_at),
    acceptedByUserId: r.accepted_by_user_id,
    revokedAt: num(r.revoked_at),
  };
}

function toDetails(
  r: Selectable<WorkspaceInvitationsTable> & { workspace_name: string; workspace_kind: Workspace['kind']; workspace_created_at: number; creator_email: string; creator_name: string | null },
): InvitationDetails {
  return {
    ...toInvitation(r),
    workspace: { id: r.workspace_id, name: r.workspace_name, kind: r.workspace_kind, createdAt: Number(r.workspace_created_at) },
    createdBy: { email: r.creator_email, name: r.creator_name },
  };
}
