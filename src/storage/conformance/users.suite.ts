import { describe, expect, it } from 'vitest';
import { newId } from '../../core/ids.js';
import type { User, Workspace } from '../../core/users/user.js';
import { auditEvent, createTenant, T0, useFixture, type StorageFactory, type StoreFixture } from './fixture.js';

function userAndWorkspace(email: string, now = T0): { user: User; workspace: Workspace } {
  return {
    user: { id: newId('usr', now), email, name: 'Ada', isAdmin: true, disabledAt: null, createdAt: now },
    workspace: { id: newId('ws', now), name: `${email}'s memory`, kind: 'personal', createdAt: now },
  };
}

async function create(f: StoreFixture, email: string, now = T0) {
  const { user, workspace } = userAndWorkspace(email, now);
  const outcome = await f.users.createWithPersonalWorkspace(user, workspace, auditEvent('user.create', { workspaceId: workspace.id, userId: user.id }));
  return { outcome, user, workspace };
}

async function rowCount(f: StoreFixture, table: 'users' | 'workspaces' | 'memberships' | 'audit_log'): Promise<number> {
  const rows = await f.storage.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
  return Number(rows.n);
}

/** The user and app store contracts (core/users/user.ts) on a real database. */
export function runUsersSuite(factory: StorageFactory): void {
  // One describe per suite, so its beforeEach/afterEach hooks run for its own tests only.
  describe('user and app stores', () => {
    const fixture = useFixture(factory);

    describe('users: creation with a personal workspace', () => {
      it('creates the user, a personal workspace and an owner membership, readable by email and id', async () => {
        const f = fixture();
        const { outcome, user, workspace } = await create(f, 'ada@example.com');
        expect(outcome).toBe('created');
        expect(await f.users.findByEmail('ada@example.com')).toEqual(user);
        expect(await f.users.findById(user.id)).toEqual(user);
        expect(await f.users.workspacesOf(user.id)).toEqual([{ ...workspace, role: 'owner' }]);
        expect(await f.users.roleIn(user.id, workspace.id)).toBe('owner');
        expect(await f.users.list()).toEqual([user]);
        const audit = await f.audit.listForWorkspace(workspace.id, 10);
        expect(audit.map((e) => [e.action, e.userId])).toEqual([['user.create', user.id]]);
      });

      it('answers undefined for unknown users and for workspaces the user is not a member of', async () => {
        const f = fixture();
        const ada = await create(f, 'ada@example.com');
        const bob = await create(f, 'bob@example.com', T0 + 1);
        expect(await f.users.findByEmail('nobody@example.com')).toBeUndefined();
        expect(await f.users.findById('usr_missing')).toBeUndefined();
        expect(await f.users.roleIn(ada.user.id, bob.workspace.id)).toBeUndefined();
        expect(await f.users.workspacesOf('usr_missing')).toEqual([]);
        expect((await f.users.list()).map((u) => u.email)).toEqual(['ada@example.com', 'bob@example.com']);
      });

      it('lists a user with several memberships oldest workspace first, each with its role', async () => {
        const f = fixture();
        const ada = await create(f, 'ada@example.com');
        const bob = await create(f, 'bob@example.com', T0 + 1);
        await f.storage.db.insertInto('memberships').values({ workspace_id: bob.workspace.id, user_id: ada.user.id, role: 'viewer', created_at: T0 + 2 }).execute();
        expect(await f.users.workspacesOf(ada.user.id)).toEqual([
          { ...ada.workspace, role: 'owner' },
          { ...bob.workspace, role: 'viewer' },
        ]);
        expect(await f.users.roleIn(ada.user.id, bob.workspace.id)).toBe('viewer');
      });

      it('answers email_taken for an email already in use and writes nothing at all', async () => {
        const f = fixture();
        await create(f, 'ada@example.com');
        const before = await Promise.all((['users', 'workspaces', 'memberships', 'audit_log'] as const).map((t) => rowCount(f, t)));
        const again = await create(f, 'ada@example.com', T0 + 5);
        expect(again.outcome).toBe('email_taken');
        // The workspace, membership and audit row were in the same transaction and rolled back with it.
        const after = await Promise.all((['users', 'workspaces', 'memberships', 'audit_log'] as const).map((t) => rowCount(f, t)));
        expect(after).toEqual(before);
      });

      it('lets exactly one of several concurrent creations of one email succeed; the others get email_taken', async () => {
        const f = fixture();
        const outcomes = await Promise.all(Array.from({ length: 4 }, (_, i) => create(f, 'race@example.com', T0 + i)));
        expect(outcomes.map((o) => o.outcome).sort()).toEqual(['created', 'email_taken', 'email_taken', 'email_taken']);
        expect(await rowCount(f, 'users')).toBe(1);
        expect(await rowCount(f, 'workspaces')).toBe(1);
        expect(await rowCount(f, 'memberships')).toBe(1);
      });
    });

    describe('apps: one per workspace and name', () => {
      it('ensure returns the same app every time for one name, and a different one per name and per workspace', async () => {
        const f = fixture();
        const ada = await createTenant(f, 'ada@example.com', 'claude-desktop');
        const bob = await createTenant(f, 'bob@example.com', 'claude-desktop');
        const again = await f.apps.ensure(ada.workspace.id, 'claude-desktop', T0 + 1000);
        expect(again).toEqual(ada.app);
        expect(ada.app).toMatchObject({ workspaceId: ada.workspace.id, name: 'claude-desktop', createdAt: T0 });
        expect(bob.app.id).not.toBe(ada.app.id);
        const cursor = await f.apps.ensure(ada.workspace.id, 'cursor', T0 + 2000);
        expect(cursor.id).not.toBe(ada.app.id);
        expect((await f.apps.list(ada.workspace.id)).map((a) => a.name)).toEqual(['claude-desktop', 'cursor']);
        expect(await f.apps.get(ada.workspace.id, cursor.id)).toEqual(cursor);
        expect(await f.apps.get(bob.workspace.id, cursor.id)).toBeUndefined();
      });

      it('concurrent ensure calls for one new name all return the one app that was created', async () => {
        const f = fixture();
        const ada = await createTenant(f, 'ada@example.com');
        const apps = await Promise.all(Array.from({ length: 6 }, (_, i) => f.apps.ensure(ada.workspace.id, 'new-client', T0 + i)));
        expect(new Set(apps.map((a) => a.id)).size).toBe(1);
        expect((await f.apps.list(ada.workspace.id)).filter((a) => a.name === 'new-client')).toHaveLength(1);
      });

      it('a new app has full access; setAccess changes it with its audit row, only in the app own workspace', async () => {
        const f = fixture();
        const ada = await createTenant(f, 'ada@example.com', 'claude-desktop');
        const bob = await createTenant(f, 'bob@example.com', 'cursor');
        expect(ada.app).toMatchObject({ access: 'full', accessChangedAt: null });
        const event = (workspaceId: string, targetId: string) => auditEvent('app.access', { workspaceId, targetId, detail: { to: 'paused' } });
        const paused = await f.apps.setAccess(ada.workspace.id, ada.app.id, 'paused', T0 + 10, event(ada.workspace.id, ada.app.id));
        expect(paused).toEqual({ ...ada.app, access: 'paused', accessChangedAt: T0 + 10 });
        expect(await f.apps.get(ada.workspace.id, ada.app.id)).toEqual(paused);
        expect((await f.audit.listForWorkspace(ada.workspace.id, 10)).map((e) => [e.action, e.targetId])).toContainEqual(['app.access', ada.app.id]);
        // Another workspace cannot reach it: nothing changes and nothing is audited.
        expect(await f.apps.setAccess(bob.workspace.id, ada.app.id, 'full', T0 + 20, event(bob.workspace.id, ada.app.id))).toBeUndefined();
        expect((await f.apps.get(ada.workspace.id, ada.app.id))?.access).toBe('paused');
        expect((await f.audit.listForWorkspace(bob.workspace.id, 10)).map((e) => e.action)).not.toContain('app.access');
        expect((await f.apps.setAccess(ada.workspace.id, ada.app.id, 'read_only', T0 + 30, event(ada.workspace.id, ada.app.id)))?.access).toBe('read_only');
        expect((await f.apps.get(bob.workspace.id, bob.app.id))?.access).toBe('full');
      });
    });
  });
}
