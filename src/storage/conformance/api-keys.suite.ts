import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ApiKeyRecord } from '../../auth/api-keys/api-key-store.js';
import { newId } from '../../core/ids.js';
import type { Scope } from '../../core/scopes.js';
import { auditEvent, createTenant, T0, useFixture, type StorageFactory, type Tenant } from './fixture.js';

type NewKey = Omit<ApiKeyRecord, 'lastUsedAt' | 'usageCount' | 'rotatedTo'>;

function newKey(t: Tenant, over: Partial<NewKey> = {}): NewKey {
  const createdAt = over.createdAt ?? T0;
  return {
    id: newId('key', createdAt),
    userId: t.user.id,
    workspaceId: t.workspace.id,
    appId: t.app.id,
    name: t.app.name,
    prefix: 'cairn_sk_AbCdEf',
    hash: randomBytes(32).toString('hex'),
    scopes: ['memories:read', 'memories:write'] as Scope[],
    createdAt,
    expiresAt: null,
    revokedAt: null,
    ...over,
  };
}

const fresh = { lastUsedAt: null, usageCount: 0, rotatedTo: null };

/** The API key store contract (auth/api-keys/api-key-store.ts) on a real database. */
export function runApiKeysSuite(factory: StorageFactory): void {
  // One describe per suite, so its beforeEach/afterEach hooks run for its own tests only.
  describe('API key store', () => {
    const fixture = useFixture(factory);

    describe('api keys: insert, lookup for authentication, list', () => {
      it('stores a key with its audit entry and finds it by hash with the owner role and status', async () => {
        const f = fixture();
        const ada = await createTenant(f, 'ada@example.com');
        const key = newKey(ada, { expiresAt: T0 + 86_400_000 });
        await f.apiKeys.insert(key, auditEvent('key.create', { workspaceId: ada.workspace.id, targetId: key.id }));
        expect(await f.apiKeys.findForAuth(key.hash)).toEqual({ ...key, ...fresh, userDisabledAt: null, role: 'owner' });
        expect(await f.apiKeys.findForAuth('0'.repeat(64))).toBeUndefined();
        expect((await f.audit.listForWorkspace(ada.workspace.id, 10))[0]).toMatchObject({ action: 'key.create', targetId: key.id });
      });

      it('reports a disabled owner and a lost membership to the verifier instead of hiding the key', async () => {
        const f = fixture();
        const ada = await createTenant(f, 'ada@example.com');
        const key = newKey(ada);
        await f.apiKeys.insert(key, auditEvent('key.create'));
        await f.storage.db.updateTable('users').set({ disabled_at: T0 + 5 }).where('id', '=', ada.user.id).execute();
        expect(await f.apiKeys.findForAuth(key.hash)).toMatchObject({ id: key.id, userDisabledAt: T0 + 5, role: 'owner' });
        await f.storage.db.deleteFrom('memberships').where('user_id', '=', ada.user.id).execute();
        const record = await f.apiKeys.findForAuth(key.hash);
        expect(record?.id).toBe(key.id);
        expect(record?.role).toBeUndefined();
      });

      it('lists only the user keys of one workspace, newest first, and get is scoped the same way', async () => {
        const f = fixture();
        const ada = await createTenant(f, 'ada@example.com');
        const bob = await createTenant(f, 'bob@example.com');
        const k1 = newKey(ada, { createdAt: T0 });
        const k2 = newKey(ada, { createdAt: T0 + 1000 });
        const kb = newKey(bob);
        for (const k of [k1, k2, kb]) await f.apiKeys.insert(k, auditEvent('key.create'));
        expect(await f.apiKeys.list(ada.user.id, ada.workspace.id)).toEqual([
          { ...k2, ...fresh },
          { ...k1, ...fresh },
        ]);
        expect(await f.apiKeys.list(ada.user.id, bob.workspace.id)).toEqual([]);
        expect(await f.apiKeys.get(ada.user.id, ada.workspace.id, k1.id)).toEqual({ ...k1, ...fresh });
        expect(await f.apiKeys.get(ada.user.id, ada.workspace.id, kb.id)).toBeUndefined();
        expect(await f.apiKeys.get(bob.user.id, bob.workspace.id, k1.id)).toBeUndefined();
      });

      it("lists every key of one workspace with its holder and the holder's role there (null once no member); get is scoped to the workspace", async () => {
        const f = fixture();
        const ada = await createTenant(f, 'ada@example.com');
        const bob = await createTenant(f, 'bob@example.com');
        const cy = await createTenant(f, 'cy@example.com');
        // Bob is a member of Ada's workspace; Cy holds a key there but is not (or no longer) a member.
        await f.storage.db.insertInto('memberships').values({ workspace_id: ada.workspace.id, user_id: bob.user.id, role: 'member', created_at: T0 }).execute();
        const inAda = (t: Tenant, createdAt: number) => newKey(t, { workspaceId: ada.workspace.id, appId: ada.app.id, createdAt });
        const ka = inAda(ada, T0);
        const kb = inAda(bob, T0 + 1000);
        const kc = inAda(cy, T0 + 2000);
        const bobsOwn = newKey(bob);
        for (const k of [ka, kb, kc, bobsOwn]) await f.apiKeys.insert(k, auditEvent('key.create'));
        expect(await f.apiKeys.listInWorkspace(ada.workspace.id)).toEqual([
          { ...kc, ...fresh, holder: { email: 'cy@example.com', name: null, role: null } },
          { ...kb, ...fresh, holder: { email: 'bob@example.com', name: null, role: 'member' } },
          { ...ka, ...fresh, holder: { email: 'ada@example.com', name: null, role: 'owner' } },
        ]);
        expect(await f.apiKeys.listInWorkspace(bob.workspace.id)).toEqual([{ ...bobsOwn, ...fresh, holder: { email: 'bob@example.com', name: null, role: 'owner' } }]);
        expect(await f.apiKeys.getInWorkspace(ada.workspace.id, kb.id)).toEqual({ ...kb, ...fresh, holder: { email: 'bob@example.com', name: null, role: 'member' } });
        expect(await f.apiKeys.getInWorkspace(ada.workspace.id, bobsOwn.id)).toBeUndefined();
        expect(await f.apiKeys.getInWorkspace(bob.workspace.id, kb.id)).toBeUndefined();
        expect(await f.apiKeys.getInWorkspace(ada.workspace.id, 'key_nope')).toBeUndefined();
      });

      it('refuses a second key with the same hash', async () => {
        const f = fixture();
        const ada = await createTenant(f, 'ada@example.com');
        const key = newKey(ada);
        await f.apiKeys.insert(key, auditEvent('key.create'));
        await expect(f.apiKeys.insert(newKey(ada, { hash: key.hash }), auditEvent('key.create'))).rejects.toThrow();
        expect(await f.apiKeys.list(ada.user.id, ada.workspace.id)).toHaveLength(1);
      });
    });

    describe('api keys: revoke and rotate', () => {
      it('revokes once: the first time is kept, a repeat is a no-op that still reports found', async () => {
        const f = fixture();
        const ada = await createTenant(f, 'ada@example.com');
        const key = newKey(ada);
        await f.apiKeys.insert(key, auditEvent('key.create', { workspaceId: ada.workspace.id }));
        expect(await f.apiKeys.revoke(ada.user.id, ada.workspace.id, key.id, T0 + 10, auditEvent('key.revoke', { workspaceId: ada.workspace.id }))).toBe(true);
        expect(await f.apiKeys.revoke(ada.user.id, ada.workspace.id, key.id, T0 + 20, auditEvent('key.revoke', { workspaceId: ada.workspace.id }))).toBe(true);
        expect((await f.apiKeys.findForAuth(key.hash))?.revokedAt).toBe(T0 + 10);
        const actions = (await f.audit.listForWorkspace(ada.workspace.id, 10)).map((e) => e.action);
        expect(actions.filter((a) => a === 'key.revoke')).toHaveLength(1);
      });

      it('does not revoke another user key, nor one in another workspace', async () => {
        const f = fixture();
        const ada = await createTenant(f, 'ada@example.com');
        const bob = await createTenant(f, 'bob@example.com');
        const key = newKey(ada);
        await f.apiKeys.insert(key, auditEvent('key.create'));
        expect(await f.apiKeys.revoke(bob.user.id, bob.workspace.id, key.id, T0, auditEvent('key.revoke'))).toBe(false);
        expect(await f.apiKeys.revoke(ada.user.id, bob.workspace.id, key.id, T0, auditEvent('key.revoke'))).toBe(false);
        expect((await f.apiKeys.findForAuth(key.hash))?.revokedAt).toBeNull();
      });

      it('rotate inserts the replacement, points the old key at it and caps an open-ended expiry at the grace end', async () => {
        const f = fixture();
        const ada = await createTenant(f, 'ada@example.com');
        const old = newKey(ada);
        await f.apiKeys.insert(old, auditEvent('key.create'));
        const replacement = newKey(ada, { createdAt: T0 + 1000 });
        await f.apiKeys.rotate(old.id, T0 + 61_000, replacement, auditEvent('key.rotate', { workspaceId: ada.workspace.id, targetId: old.id }));
        expect(await f.apiKeys.get(ada.user.id, ada.workspace.id, old.id)).toEqual({ ...old, ...fresh, rotatedTo: replacement.id, expiresAt: T0 + 61_000 });
        expect(await f.apiKeys.findForAuth(replacement.hash)).toMatchObject({ id: replacement.id, rotatedTo: null, expiresAt: null });
        expect((await f.audit.listForWorkspace(ada.workspace.id, 10))[0]).toMatchObject({ action: 'key.rotate', targetId: old.id });
      });

      it('rotate never extends a key: an expiry earlier than the grace end is kept', async () => {
        const f = fixture();
        const ada = await createTenant(f, 'ada@example.com');
        const old = newKey(ada, { expiresAt: T0 + 5000 });
        await f.apiKeys.insert(old, auditEvent('key.create'));
        await f.apiKeys.rotate(old.id, T0 + 60_000, newKey(ada), auditEvent('key.rotate'));
        expect((await f.apiKeys.findForAuth(old.hash))?.expiresAt).toBe(T0 + 5000);
      });
    });

    describe('api keys: batched usage', () => {
      it('adds usage counts and moves last_used_at forward only', async () => {
        const f = fixture();
        const ada = await createTenant(f, 'ada@example.com');
        const a = newKey(ada);
        const b = newKey(ada);
        await f.apiKeys.insert(a, auditEvent('key.create'));
        await f.apiKeys.insert(b, auditEvent('key.create'));
        await f.apiKeys.applyUsage([
          { keyId: a.id, count: 3, lastUsedAt: T0 + 3000 },
          { keyId: b.id, count: 1, lastUsedAt: T0 + 1000 },
        ]);
        // A late batch from another instance carries an older time: the count adds, the time stays.
        await f.apiKeys.applyUsage([{ keyId: a.id, count: 2, lastUsedAt: T0 + 2000 }]);
        await f.apiKeys.applyUsage([{ keyId: b.id, count: 4, lastUsedAt: T0 + 9000 }]);
        await f.apiKeys.applyUsage([]);
        await f.apiKeys.applyUsage([{ keyId: 'key_unknown', count: 1, lastUsedAt: T0 }]);
        const ra = await f.apiKeys.findForAuth(a.hash);
        const rb = await f.apiKeys.findForAuth(b.hash);
        expect([ra?.usageCount, ra?.lastUsedAt]).toEqual([5, T0 + 3000]);
        expect([rb?.usageCount, rb?.lastUsedAt]).toEqual([5, T0 + 9000]);
        // Counts come back as numbers on every driver (PostgreSQL's bigint would otherwise be a string).
        expect(typeof ra?.usageCount).toBe('number');
        expect(typeof ra?.lastUsedAt).toBe('number');
      });

      it('keeps counts exact beyond 32 bits', async () => {
        const f = fixture();
        const ada = await createTenant(f, 'ada@example.com');
        const a = newKey(ada);
        await f.apiKeys.insert(a, auditEvent('key.create'));
        await f.apiKeys.applyUsage([{ keyId: a.id, count: 2 ** 32, lastUsedAt: T0 }]);
        await f.apiKeys.applyUsage([{ keyId: a.id, count: 7, lastUsedAt: T0 }]);
        expect((await f.apiKeys.findForAuth(a.hash))?.usageCount).toBe(2 ** 32 + 7);
      });
    });
  });
}
