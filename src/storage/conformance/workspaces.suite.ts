import { describe, expect, it } from 'vitest';
import { newId } from '../../core/ids.js';
import type { Role, Workspace } from '../../core/users/user.js';
import type { Invitation } from '../../core/workspaces/workspace.js';
import { auditEvent, createTenant, T0, useFixture, type StorageFactory, type StoreFixture, type Tenant } from './fixture.js';

const HOUR = 3600_000;

async function sharedWorkspace(f: StoreFixture, owner: Tenant, name = 'Team'): Promise<Workspace> {
  const workspace: Workspace = { id: newId('ws', T0), name, kind: 'shared', createdAt: T0 };
  await f.workspaces.createShared(workspace, owner.user.id, auditEvent('workspace.create', { workspaceId: workspace.id, userId: owner.user.id, targetId: workspace.id }));
  return workspace;
}

async function addMember(f: StoreFixture, workspace: Workspace, who: Tenant, role: Role): Promise<void> {
  await f.storage.db.insertInto('memberships').values({ workspace_id: workspace.id, user_id: who.user.id, role, created_at: T0 + 1 }).execute();
}

function invitation(workspace: Workspace, by: Tenant, over: Partial<Invitation> = {}): Invitation {
  const id = newId('inv', T0);
  return {
    id,
    workspaceId: workspace.id,
    hash: `hash-${id}`,
    role: 'member',
    email: null,
    createdByUserId: by.user.id,
    createdAt: T0,
    expiresAt: T0 + 24 * HOUR,
    acceptedAt: null,
    acceptedByUserId: null,
    revokedAt: null,
    ...over,
  };
}

const ev = (workspace: Workspace, action: Parameters<typeof auditEvent>[0]) => auditEvent(action, { workspaceId: workspace.id });

async function actions(f: StoreFixture, workspace: Workspace): Promise<string[]> {
  return (await f.audit.listForWorkspace(workspace.id, 50)).map((e) => e.action).sort();
}

/** The shared-workspace store contract (core/workspaces/workspace.ts) on a real database. */
export function runWorkspacesSuite(factory: StorageFactory): void {
  describe('workspace store', () => {
    const fixture = useFixture(factory);

    it('creates a shared workspace with its owner and the audit event, and lists members in joining order', async () => {
      const f = fixture();
      const ada = await createTenant(f, 'ada@example.com');
      const bob = await createTenant(f, 'bob@example.com');
      const team = await sharedWorkspace(f, ada);
      await addMember(f, team, bob, 'viewer');
      expect(await f.workspaces.get(team.id)).toEqual(team);
      expect(await f.workspaces.members(team.id)).toEqual([
        { userId: ada.user.id, email: 'ada@example.com', name: null, role: 'owner', joinedAt: T0 },
        { userId: bob.user.id, email: 'bob@example.com', name: null, role: 'viewer', joinedAt: T0 + 1 },
      ]);
      expect(await f.workspaces.member(team.id, bob.user.id)).toMatchObject({ role: 'viewer' });
      expect(await f.workspaces.member(ada.workspace.id, bob.user.id)).toBeUndefined();
      expect(await f.users.workspacesOf(ada.user.id)).toEqual([{ ...ada.workspace, role: 'owner' }, { ...team, role: 'owner' }]);
      expect(await actions(f, team)).toEqual(['workspace.create']);
      // All created at T0, so compared as sets.
      const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : 1);
      expect((await f.workspaces.list()).sort(byId)).toEqual([{ ...ada.workspace, members: 1 }, { ...bob.workspace, members: 1 }, { ...team, members: 2 }].sort(byId));
    });

    it('changes a role and removes a member, auditing each; refuses the last owner and unknown members without writing', async () => {
      const f = fixture();
      const ada = await createTenant(f, 'ada@example.com');
      const bob = await createTenant(f, 'bob@example.com');
      const team = await sharedWorkspace(f, ada);
      await addMember(f, team, bob, 'member');
      expect(await f.workspaces.setRole(team.id, ada.user.id, 'admin', ev(team, 'member.role'))).toBe('last_owner');
      expect(await f.workspaces.removeMember(team.id, ada.user.id, ev(team, 'member.remove'))).toBe('last_owner');
      expect(await f.workspaces.setRole(team.id, 'usr_nobody', 'admin', ev(team, 'member.role'))).toBe('not_member');
      expect(await f.workspaces.removeMember(ada.workspace.id, bob.user.id, ev(team, 'member.remove'))).toBe('not_member');
      expect(await actions(f, team)).toEqual(['workspace.create']);

      expect(await f.workspaces.setRole(team.id, bob.user.id, 'owner', ev(team, 'member.role'))).toMatchObject({ userId: bob.user.id, role: 'owner' });
      expect(await f.workspaces.setRole(team.id, ada.user.id, 'viewer', ev(team, 'member.role'))).toMatchObject({ role: 'viewer' });
      expect(await f.workspaces.removeMember(team.id, bob.user.id, ev(team, 'member.remove'))).toBe('last_owner');
      expect(await f.workspaces.removeMember(team.id, ada.user.id, ev(team, 'member.remove'))).toBe('removed');
      expect(await f.users.roleIn(ada.user.id, team.id)).toBeUndefined();
      expect(await actions(f, team)).toEqual(['member.remove', 'member.role', 'member.role', 'workspace.create']);
    });

    it('transfers ownership in one transaction: the target becomes owner, the caller admin, with the audit events; refusals write nothing', async () => {
      const f = fixture();
      const ada = await createTenant(f, 'ada@example.com');
      const bob = await createTenant(f, 'bob@example.com');
      const cy = await createTenant(f, 'cy@example.com');
      const team = await sharedWorkspace(f, ada);
      await addMember(f, team, bob, 'viewer');
      await addMember(f, team, cy, 'admin');
      const seen: Role[] = [];
      const events = (role: Role) => {
        seen.push(role);
        return [ev(team, 'member.role'), ev(team, 'member.role')];
      };
      expect(await f.workspaces.transferOwnership(team.id, cy.user.id, bob.user.id, T0 + 5, events)).toBe('not_owner');
      expect(await f.workspaces.transferOwnership(team.id, ada.user.id, 'usr_nobody', T0 + 5, events)).toBe('not_member');
      expect(await actions(f, team)).toEqual(['workspace.create']);
      expect(seen).toEqual([]);

      await f.workspaces.createInvitation(invitation(team, ada, { role: 'owner' }), ev(team, 'invitation.create'));
      const outcome = await f.workspaces.transferOwnership(team.id, ada.user.id, bob.user.id, T0 + 5, events);
      expect(outcome).toEqual({
        owner: { userId: bob.user.id, email: 'bob@example.com', name: null, role: 'owner', joinedAt: T0 + 1 },
        previousOwner: { userId: ada.user.id, email: 'ada@example.com', name: null, role: 'admin', joinedAt: T0 },
      });
      expect(seen).toEqual(['viewer']);
      expect(await f.users.roleIn(ada.user.id, team.id)).toBe('admin');
      expect(await f.users.roleIn(bob.user.id, team.id)).toBe('owner');
      expect(await f.users.roleIn(cy.user.id, team.id)).toBe('admin');
      expect(await actions(f, team)).toEqual(['invitation.create', 'member.role', 'member.role', 'workspace.create']);
      // The former owner can no longer invite owners: that invitation went with the role.
      expect(await f.workspaces.pendingInvitations(team.id, T0 + 6)).toEqual([]);
      // Bob is now the only owner: the last-owner rule holds for him.
      expect(await f.workspaces.setRole(team.id, bob.user.id, 'admin', ev(team, 'member.role'))).toBe('last_owner');
    });

    it('a transfer racing a demotion of the only other owner: the workspace always keeps an owner', async () => {
      const f = fixture();
      const ada = await createTenant(f, 'ada@example.com');
      const bob = await createTenant(f, 'bob@example.com');
      for (let round = 0; round < 5; round++) {
        const team = await sharedWorkspace(f, ada, `Team ${round}`);
        await addMember(f, team, bob, 'member');
        const outcomes = await Promise.all([
          f.workspaces.transferOwnership(team.id, ada.user.id, bob.user.id, T0 + 5, () => [ev(team, 'member.role')]),
          f.workspaces.setRole(team.id, ada.user.id, 'member', ev(team, 'member.role')),
        ]);
        const owners = (await f.workspaces.members(team.id)).filter((m) => m.role === 'owner');
        expect(owners.length, JSON.stringify(outcomes)).toBeGreaterThanOrEqual(1);
        // Transfer first: Bob is owner and Ada's demotion (from admin) passes. Demotion first: refused (last
        // owner), then the transfer runs. Either way Bob is the one owner.
        expect(owners.map((m) => m.userId)).toEqual([bob.user.id]);
      }
    });

    it('two concurrent demotions of the only two owners: exactly one passes, the workspace keeps an owner', async () => {
      const f = fixture();
      const ada = await createTenant(f, 'ada@example.com');
      const bob = await createTenant(f, 'bob@example.com');
      for (let round = 0; round < 5; round++) {
        const team = await sharedWorkspace(f, ada, `Team ${round}`);
        await addMember(f, team, bob, 'owner');
        const outcomes = await Promise.all([
          f.workspaces.setRole(team.id, ada.user.id, 'member', ev(team, 'member.role')),
          round % 2 === 0 ? f.workspaces.setRole(team.id, bob.user.id, 'member', ev(team, 'member.role')) : f.workspaces.removeMember(team.id, bob.user.id, ev(team, 'member.remove')),
        ]);
        expect(outcomes.filter((o) => o === 'last_owner'), JSON.stringify(outcomes)).toHaveLength(1);
        expect((await f.workspaces.members(team.id)).filter((m) => m.role === 'owner')).toHaveLength(1);
      }
    });

    it('lists pending invitations only, finds one by hash with its workspace and inviter, and revokes once', async () => {
      const f = fixture();
      const ada = await createTenant(f, 'ada@example.com');
      const team = await sharedWorkspace(f, ada);
      const live = invitation(team, ada, { email: 'bob@example.com', role: 'viewer' });
      const expired = invitation(team, ada, { expiresAt: T0 + HOUR });
      const revoked = invitation(team, ada);
      for (const i of [live, expired, revoked]) await f.workspaces.createInvitation(i, ev(team, 'invitation.create'));
      expect(await f.workspaces.revokeInvitation(team.id, revoked.id, T0 + 1, ev(team, 'invitation.revoke'))).toBe(true);
      expect(await f.workspaces.revokeInvitation(team.id, revoked.id, T0 + 2, ev(team, 'invitation.revoke'))).toBe(false);
      // Another workspace's id is not found from here.
      expect(await f.workspaces.revokeInvitation(ada.workspace.id, live.id, T0 + 2, ev(team, 'invitation.revoke'))).toBe(false);
      expect((await f.workspaces.pendingInvitations(team.id, T0 + 2 * HOUR)).map((i) => i.id)).toEqual([live.id]);
      expect(await f.workspaces.findInvitation(live.hash)).toEqual({ ...live, workspace: team, createdBy: { email: 'ada@example.com', name: null } });
      expect(await f.workspaces.findInvitation('hash-unknown')).toBeUndefined();
      expect(await actions(f, team)).toEqual(['invitation.create', 'invitation.create', 'invitation.create', 'invitation.revoke', 'workspace.create']);
    });

    it('accepts an invitation once, adding the member with its role; used, revoked, expired and already-member are refused without change', async () => {
      const f = fixture();
      const ada = await createTenant(f, 'ada@example.com');
      const bob = await createTenant(f, 'bob@example.com');
      const cat = await createTenant(f, 'cat@example.com');
      const team = await sharedWorkspace(f, ada);
      const inv = invitation(team, ada, { role: 'admin' });
      const expiring = invitation(team, ada, { expiresAt: T0 + HOUR });
      const revoked = invitation(team, ada);
      for (const i of [inv, expiring, revoked]) await f.workspaces.createInvitation(i, ev(team, 'invitation.create'));
      await f.workspaces.revokeInvitation(team.id, revoked.id, T0, ev(team, 'invitation.revoke'));
      const accept = (hash: string, who: Tenant, now = T0 + 10) => f.workspaces.acceptInvitation(hash, who.user.id, now, (i) => ({ ...ev(team, 'invitation.accept'), targetId: i.id }));

      expect(await accept(inv.hash, ada)).toEqual({ outcome: 'already_member' });
      expect(await accept(inv.hash, bob)).toEqual({ outcome: 'accepted', workspace: team, role: 'admin' });
      expect(await accept(inv.hash, cat)).toEqual({ outcome: 'used' });
      expect(await accept(revoked.hash, cat)).toEqual({ outcome: 'used' });
      expect(await accept(expiring.hash, cat, T0 + HOUR)).toEqual({ outcome: 'expired' });
      expect(await accept('hash-unknown', cat)).toEqual({ outcome: 'not_found' });
      expect(await f.users.roleIn(bob.user.id, team.id)).toBe('admin');
      expect(await f.users.roleIn(cat.user.id, team.id)).toBeUndefined();
      expect(await f.workspaces.findInvitation(inv.hash)).toMatchObject({ acceptedAt: T0 + 10, acceptedByUserId: bob.user.id });
      const accepted = (await f.audit.listForWorkspace(team.id, 50)).filter((e) => e.action === 'invitation.accept');
      expect(accepted.map((e) => e.targetId)).toEqual([inv.id]);
    });

    it("revokes the pending invitations a member could no longer make when they are demoted or removed", async () => {
      const f = fixture();
      const ada = await createTenant(f, 'ada@example.com');
      const bob = await createTenant(f, 'bob@example.com');
      const cat = await createTenant(f, 'cat@example.com');
      const team = await sharedWorkspace(f, ada);
      await addMember(f, team, bob, 'owner');
      await addMember(f, team, cat, 'admin');
      const bobOwner = invitation(team, bob, { role: 'owner' });
      const bobMember = invitation(team, bob, { role: 'member' });
      const catViewer = invitation(team, cat, { role: 'viewer' });
      const adaMember = invitation(team, ada, { role: 'member' });
      for (const i of [bobOwner, bobMember, catViewer, adaMember]) await f.workspaces.createInvitation(i, ev(team, 'invitation.create'));
      const pending = async () => (await f.workspaces.pendingInvitations(team.id, T0)).map((i) => i.id).sort();
      await f.workspaces.setRole(team.id, bob.user.id, 'admin', { ...ev(team, 'member.role'), at: T0 + 5 });
      expect(await pending()).toEqual([bobMember.id, catViewer.id, adaMember.id].sort());
      expect(await f.workspaces.findInvitation(bobOwner.hash)).toMatchObject({ revokedAt: T0 + 5 });
      await f.workspaces.setRole(team.id, bob.user.id, 'member', ev(team, 'member.role'));
      await f.workspaces.removeMember(team.id, cat.user.id, ev(team, 'member.remove'));
      expect(await pending()).toEqual([adaMember.id]);
    });

    it('two people accepting one invitation at once: exactly one joins', async () => {
      const f = fixture();
      const ada = await createTenant(f, 'ada@example.com');
      const people = [await createTenant(f, 'bob@example.com'), await createTenant(f, 'cat@example.com'), await createTenant(f, 'dan@example.com')];
      const team = await sharedWorkspace(f, ada);
      const inv = invitation(team, ada);
      await f.workspaces.createInvitation(inv, ev(team, 'invitation.create'));
      const outcomes = await Promise.all(people.map((p) => f.workspaces.acceptInvitation(inv.hash, p.user.id, T0 + 1, () => ev(team, 'invitation.accept'))));
      expect(outcomes.filter((o) => o.outcome === 'accepted')).toHaveLength(1);
      expect(outcomes.filter((o) => o.outcome === 'used')).toHaveLength(2);
      expect(await f.workspaces.members(team.id)).toHaveLength(2);
    });

    it('deletes a shared workspace with its memories, keys, apps and invitations; never a personal one', async () => {
      const f = fixture();
      const ada = await createTenant(f, 'ada@example.com');
      const team = await sharedWorkspace(f, ada);
      const app = await f.apps.ensure(team.id, 'team app', T0);
      await f.memories.insertMany({ workspaceId: team.id }, [{ id: newId('mem', T0), authorUserId: ada.user.id, appId: app.id, content: 'team note', metadata: {}, contentHash: 'h1', now: T0 }], () => ev(team, 'memory.create'));
      await f.workspaces.createInvitation(invitation(team, ada), ev(team, 'invitation.create'));
      expect(await f.workspaces.deleteShared(ada.workspace.id, ev(ada.workspace, 'workspace.delete'))).toBe(false);
      expect(await f.workspaces.get(ada.workspace.id)).toBeDefined();
      expect(await f.workspaces.deleteShared(team.id, ev(team, 'workspace.delete'))).toBe(true);
      expect(await f.workspaces.get(team.id)).toBeUndefined();
      const db = f.storage.db;
      for (const table of ['memories', 'memberships', 'apps', 'workspace_invitations'] as const) {
        expect(await db.selectFrom(table).select('workspace_id').where('workspace_id', '=', team.id).execute(), table).toEqual([]);
      }
      expect(await actions(f, team)).toContain('workspace.delete');
      expect(await f.workspaces.deleteShared(team.id, ev(team, 'workspace.delete'))).toBe(false);
    });
  });
}
