import { describe, expect, it } from 'vitest';
import type { Memory } from '../../core/memories/memory.js';
import { auditEvent, createTenant, newMemory, T0, useFixture, type StorageFactory, type StoreFixture, type Tenant } from './fixture.js';

const DAY = 86_400_000;

async function add(f: StoreFixture, tenant: Tenant, content: string, over: Parameters<typeof newMemory>[2] = {}): Promise<Memory> {
  const [out] = await f.memories.insertMany({ workspaceId: tenant.workspace.id }, [newMemory(tenant, content, over)], (m) => auditEvent('memory.create', { workspaceId: tenant.workspace.id, targetId: m.id }));
  return out!.memory;
}

/** What the dashboard reads: memory facets, audit-log queries and daily counts, user activity and disabling. */
export function runDashboardSuite(factory: StorageFactory): void {
  describe('dashboard reads', () => {
    const fixture = useFixture(factory);

    it('counts non-deleted memories per app and per author, most first, within the workspace only', async () => {
      const f = fixture();
      const ada = await createTenant(f, 'ada@example.com');
      const bob = await createTenant(f, 'bob@example.com');
      const cursor = await f.apps.ensure(ada.workspace.id, 'cursor', T0);
      await add(f, ada, 'one');
      await add(f, ada, 'two', { appId: cursor.id });
      await add(f, ada, 'three', { appId: cursor.id });
      const gone = await add(f, ada, 'four', { appId: cursor.id });
      await f.memories.deleteMany({ workspaceId: ada.workspace.id }, { ids: [gone.id] }, T0 + 1, () => auditEvent('memory.delete', { workspaceId: ada.workspace.id }));
      // A memory another user wrote into Ada's workspace (a shared workspace would have these).
      await add(f, ada, 'five', { authorUserId: bob.user.id });
      await add(f, bob, 'bob only');
      const facets = await f.memories.facets({ workspaceId: ada.workspace.id });
      expect(facets.apps).toEqual([
        { id: ada.app.id, name: 'notes-cli', count: 2 },
        { id: cursor.id, name: 'cursor', count: 2 },
      ].sort((a, b) => b.count - a.count || a.name.localeCompare(b.name)));
      expect(facets.authors).toEqual([
        { userId: ada.user.id, name: null, email: 'ada@example.com', count: 3 },
        { userId: bob.user.id, name: null, email: 'bob@example.com', count: 1 },
      ]);
      expect(facets.counts).toEqual({ active: 4, archived: 0, deleted: 1 });
      expect(await f.memories.facets({ workspaceId: 'ws_none' })).toEqual({ counts: { active: 0, archived: 0, deleted: 0 }, apps: [], authors: [] });
    });

    it('queries the audit log by action, app, credential, time and cursor, newest first, with app names', async () => {
      const f = fixture();
      const ada = await createTenant(f, 'ada@example.com');
      const ws = ada.workspace.id;
      await f.audit.append([
        auditEvent('memory.read', { at: T0 + 1, workspaceId: ws, appId: ada.app.id, credentialId: 'key_a', targetId: 'm1' }),
        auditEvent('memory.create', { at: T0 + 2, workspaceId: ws, appId: ada.app.id, credentialId: 'key_b', targetId: 'm2' }),
        auditEvent('memory.read', { at: T0 + 3, workspaceId: ws, appId: null, credentialId: 'key_a', targetId: 'm3' }),
        auditEvent('memory.read', { at: T0 + 4, workspaceId: 'ws_other', appId: ada.app.id, credentialId: 'key_a', targetId: 'm4' }),
      ]);
      const targets = async (q: Parameters<StoreFixture['audit']['query']>[1]) => (await f.audit.query(ws, q)).map((e) => e.targetId);
      expect(await targets({ limit: 10 })).toEqual(['m3', 'm2', 'm1', null]);
      expect(await targets({ limit: 10, action: 'memory.read' })).toEqual(['m3', 'm1']);
      expect(await targets({ limit: 10, appId: ada.app.id })).toEqual(['m2', 'm1']);
      expect(await targets({ limit: 10, credentialId: 'key_a' })).toEqual(['m3', 'm1']);
      expect(await targets({ limit: 10, since: T0 + 2, until: T0 + 3 })).toEqual(['m2']);
      const [newest] = await f.audit.query(ws, { limit: 1 });
      expect(newest).toMatchObject({ targetId: 'm3', appName: null });
      expect(await targets({ limit: 10, beforeId: newest!.id })).toEqual(['m2', 'm1', null]);
      expect((await f.audit.query(ws, { limit: 1, appId: ada.app.id }))[0]).toMatchObject({ appName: 'notes-cli' });
    });

    it('counts audit events per UTC day and app from a start time, leaving out events without an app', async () => {
      const f = fixture();
      const ada = await createTenant(f, 'ada@example.com');
      const ws = ada.workspace.id;
      const day0 = Math.floor(T0 / DAY);
      const other = await f.apps.ensure(ws, 'cursor', T0);
      await f.audit.append([
        auditEvent('memory.read', { at: T0 - DAY, workspaceId: ws, appId: ada.app.id }),
        auditEvent('memory.read', { at: T0, workspaceId: ws, appId: ada.app.id }),
        auditEvent('memory.read', { at: T0 + 1, workspaceId: ws, appId: ada.app.id }),
        auditEvent('memory.read', { at: T0 + 2, workspaceId: ws, appId: other.id }),
        auditEvent('memory.read', { at: T0 + 3, workspaceId: ws, appId: null }),
        auditEvent('memory.read', { at: T0 + DAY, workspaceId: ws, appId: other.id }),
        auditEvent('memory.read', { at: T0, workspaceId: 'ws_other', appId: ada.app.id }),
      ]);
      expect(await f.audit.dailyByApp(ws, day0 * DAY)).toEqual([
        { day: day0, appId: other.id, appName: 'cursor', count: 1 },
        { day: day0, appId: ada.app.id, appName: 'notes-cli', count: 2 },
        { day: day0 + 1, appId: other.id, appName: 'cursor', count: 1 },
      ]);
    });

    it('reports per-user memory counts and latest activity, and disables and enables a user with an audit event', async () => {
      const f = fixture();
      const ada = await createTenant(f, 'ada@example.com');
      const bob = await createTenant(f, 'bob@example.com');
      await add(f, ada, 'one');
      const gone = await add(f, ada, 'two');
      await f.memories.deleteMany({ workspaceId: ada.workspace.id }, { ids: [gone.id] }, T0 + 1, () => auditEvent('memory.delete', { workspaceId: ada.workspace.id }));
      await f.audit.append([auditEvent('memory.read', { at: T0 + 500, userId: ada.user.id, workspaceId: ada.workspace.id })]);
      const activity = await f.users.activity();
      expect(activity.get(ada.user.id)).toEqual({ memoryCount: 1, lastActiveAt: T0 + 500 });
      expect(activity.get(bob.user.id)).toEqual({ memoryCount: 0, lastActiveAt: T0 });
      expect(await f.users.setDisabled(bob.user.id, T0 + 9, auditEvent('user.disable', { workspaceId: ada.workspace.id, targetId: bob.user.id }))).toBe(true);
      expect((await f.users.findById(bob.user.id))?.disabledAt).toBe(T0 + 9);
      expect(await f.users.setDisabled(bob.user.id, null, auditEvent('user.enable', { workspaceId: ada.workspace.id, targetId: bob.user.id }))).toBe(true);
      expect((await f.users.findById(bob.user.id))?.disabledAt).toBeNull();
      expect(await f.users.setDisabled('usr_nobody', T0, auditEvent('user.disable', { workspaceId: ada.workspace.id }))).toBe(false);
      const actions = (await f.audit.listForWorkspace(ada.workspace.id, 10)).map((e) => e.action);
      expect(actions.filter((a) => a.startsWith('user.'))).toEqual(['user.enable', 'user.disable', 'user.create']);
    });
  });
}
