import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Storage } from '../storage/db.js';
import { ManualClock } from '../core/clock.js';
import { UserService } from '../core/users/user-service.js';
import { KyselyAppStore, KyselyUserStore } from '../storage/users-repo.js';
import { hashId, OAuthStore } from './adapter.js';
import { ClientCredentialsClients } from './clients.js';
import { OAuthGrants } from './grants.js';
import { SigningKeyStore } from './signing-keys.js';

const SECRET = 'store-suite-secret-store-suite-secret-0123456789';
const ACTOR = { kind: 'cli', credentialId: null } as const;

/**
 * The authorization server's storage, run against each dialect (store.test.ts on SQLite, store.pg.test.ts on
 * PostgreSQL): the adapter oidc-provider calls, the signing keys, grants and client-credentials clients.
 */
export function runOAuthStoreSuite(label: string, open: () => Promise<{ storage: Storage; close(): Promise<void> }>): void {
  describe(`OAuth storage (${label})`, () => {
    let storage: Storage;
    let close: () => Promise<void>;
    const clock = new ManualClock(Date.UTC(2026, 5, 1, 12));
    let store: OAuthStore;
    let clients: ClientCredentialsClients;
    let grants: OAuthGrants;
    let owner: { userId: string; workspaceId: string; appId: string };

    beforeAll(async () => {
      ({ storage, close } = await open());
      store = new OAuthStore(storage.db, SECRET, clock);
      const apps = new KyselyAppStore(storage.db);
      clients = new ClientCredentialsClients(storage.db, store, apps, clock);
      grants = new OAuthGrants(storage.db, store, clients, clock);
      const { user, workspace } = await new UserService(new KyselyUserStore(storage.db), clock).create({ email: `${label}@example.com` });
      const app = await apps.ensure(workspace.id, 'suite app', clock.now());
      owner = { userId: user.id, workspaceId: workspace.id, appId: app.id };
    });
    afterAll(async () => close());

    const adapter = (model: string) => new (store.adapterClass())(model);
    const dump = async () => JSON.stringify(await storage.db.selectFrom('oauth_store').selectAll().execute());

    it('stores a bearer artefact under the SHA-256 of its id, and never the id itself', async () => {
      const code = 'code-value-that-redeems-a-grant-0001';
      await adapter('AuthorizationCode').upsert(code, { jti: code, kind: 'AuthorizationCode', grantId: 'g-hash', clientId: 'c1', exp: 9e9 }, 60);
      expect(await dump()).not.toContain(code);
      const row = await storage.db.selectFrom('oauth_store').selectAll().where('model', '=', 'AuthorizationCode').where('id', '=', hashId(code)).executeTakeFirstOrThrow();
      expect(row.grant_id).toBe('g-hash');
      expect(Number(row.expires_at)).toBe(clock.now() + 60_000);
      expect(await adapter('AuthorizationCode').find(code)).toMatchObject({ jti: code, grantId: 'g-hash', clientId: 'c1' });
      expect(await adapter('AuthorizationCode').find(hashId(code))).toBeUndefined();
      expect(await adapter('RefreshToken').find(code)).toBeUndefined();
    });

    it('finds a session by its uid (not the cookie), and keeps clients, grants and interactions under their own ids', async () => {
      await adapter('Session').upsert('cookie-value-0002', { jti: 'cookie-value-0002', uid: 'uid-0002', accountId: 'a' }, 600);
      expect(await dump()).not.toContain('cookie-value-0002');
      expect(await adapter('Session').findByUid('uid-0002')).toMatchObject({ accountId: 'a' });
      await adapter('Grant').upsert('grant-0002', { jti: 'grant-0002', accountId: 'a', clientId: 'c' }, 600);
      await adapter('Interaction').upsert('interaction-0002', { jti: 'interaction-0002', returnTo: '/authorize/interaction-0002' }, 600);
      const clear = await storage.db.selectFrom('oauth_store').select(['model', 'id']).where('model', 'in', ['Grant', 'Interaction']).execute();
      expect(clear.map((r) => `${r.model}:${r.id}`).sort()).toEqual(['Grant:grant-0002', 'Interaction:interaction-0002']);
    });

    it('keeps a client secret only encrypted, bound to its client', async () => {
      await adapter('Client').upsert('client-0003', { client_id: 'client-0003', client_secret: 'very-secret-0003', redirect_uris: ['https://a.example/cb'] }, undefined);
      expect(await dump()).not.toContain('very-secret-0003');
      expect(await adapter('Client').find('client-0003')).toMatchObject({ client_id: 'client-0003', client_secret: 'very-secret-0003' });
      // The sealed secret of one client copied onto another row does not open.
      const sealed = (await storage.db.selectFrom('oauth_store').select('secret').where('id', '=', 'client-0003').executeTakeFirstOrThrow()).secret;
      await adapter('Client').upsert('client-0004', { client_id: 'client-0004' }, undefined);
      await storage.db.updateTable('oauth_store').set({ secret: sealed }).where('id', '=', 'client-0004').execute();
      await expect(adapter('Client').find('client-0004')).rejects.toThrow();
    });

    it('consumes once: of two concurrent redemptions one fails, and the grant behind it is revoked', async () => {
      const record = { id: 'grant-0005', ...owner, clientId: 'c5', clientName: 'C5', scopes: ['memories:read' as const] };
      await grants.record(record, ACTOR);
      await adapter('Grant').upsert('grant-0005', { jti: 'grant-0005' }, 600);
      await adapter('RefreshToken').upsert('rt-0005', { jti: 'rt-0005', grantId: 'grant-0005' }, 600);
      await adapter('AuthorizationCode').upsert('code-0005', { jti: 'code-0005', grantId: 'grant-0005' }, 60);
      const revoked: string[] = [];
      grants.onRevoked((id) => revoked.push(id));

      const outcomes = await Promise.allSettled([adapter('AuthorizationCode').consume('code-0005'), adapter('AuthorizationCode').consume('code-0005')]);
      expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
      expect((outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult).reason).toMatchObject({ error: 'invalid_grant' });
      expect(revoked).toContain('grant-0005');
      expect(await grants.isGrantActive('grant-0005')).toBe(false);
      expect(await adapter('RefreshToken').find('rt-0005')).toBeUndefined();
      expect(await adapter('Grant').find('grant-0005')).toBeUndefined();
    });

    it('finds a device code by its user code, stored only as a hash', async () => {
      await adapter('DeviceCode').upsert('device-0009', { jti: 'device-0009', userCode: 'WDJB-MJHT' }, 600);
      expect(await dump()).not.toContain('WDJB-MJHT');
      expect(await adapter('DeviceCode').findByUserCode('WDJB-MJHT')).toMatchObject({ userCode: 'WDJB-MJHT' });
    });

    it('reports consumption back in the payload (oidc-provider reads `consumed`)', async () => {
      await adapter('RefreshToken').upsert('rt-0006', { jti: 'rt-0006' }, 600);
      await adapter('RefreshToken').consume('rt-0006');
      expect(await adapter('RefreshToken').find('rt-0006')).toMatchObject({ jti: 'rt-0006', consumed: Math.floor(clock.now() / 1000) });
    });

    it('revokes by grant for one model only, and marks the grant record revoked when the grant is destroyed', async () => {
      await grants.record({ id: 'grant-0007', ...owner, clientId: 'c7', clientName: 'C7', scopes: ['memories:read'] }, ACTOR);
      await adapter('AccessToken').upsert('at-0007', { jti: 'at-0007', grantId: 'grant-0007' }, 300);
      await adapter('RefreshToken').upsert('rt-0007', { jti: 'rt-0007', grantId: 'grant-0007' }, 600);
      await adapter('AccessToken').revokeByGrantId('grant-0007');
      expect(await adapter('AccessToken').find('at-0007')).toBeUndefined();
      expect(await adapter('RefreshToken').find('rt-0007')).toBeDefined();
      expect(await grants.isGrantActive('grant-0007')).toBe(true);
      await adapter('Grant').upsert('grant-0007', { jti: 'grant-0007' }, 600);
      await adapter('Grant').destroy('grant-0007');
      expect(await grants.isGrantActive('grant-0007')).toBe(false);
      const [record] = (await grants.list(owner)).filter((g) => g.id === 'grant-0007');
      expect(record?.revokedAt).toBe(clock.now());
    });

    it('revoking a grant (disconnect) deletes everything issued under it; another user cannot find it', async () => {
      await grants.record({ id: 'grant-0008', ...owner, clientId: 'c8', clientName: 'C8', scopes: ['memories:read'] }, ACTOR);
      await adapter('RefreshToken').upsert('rt-0008', { jti: 'rt-0008', grantId: 'grant-0008' }, 600);
      await expect(grants.revoke({ userId: 'usr_someone_else' }, 'grant-0008', ACTOR)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect(await grants.isGrantActive('grant-0008')).toBe(true);
      await grants.revoke({ userId: owner.userId, workspaceId: owner.workspaceId }, 'grant-0008', ACTOR);
      expect(await grants.isGrantActive('grant-0008')).toBe(false);
      expect(await adapter('RefreshToken').find('rt-0008')).toBeUndefined();
      const audit = await storage.db.selectFrom('audit_log').select(['action', 'target_id']).where('target_id', '=', 'grant-0008').execute();
      expect(audit.map((a) => a.action).sort()).toEqual(['oauth_grant.create', 'oauth_grant.revoke']);
    });

    it("workspace administration: every grant and client of one workspace with its holder; revoking or deleting one of another workspace is NOT_FOUND", async () => {
      const other = await new UserService(new KyselyUserStore(storage.db), clock).create({ email: `${label}-other@example.com` });
      const apps = new KyselyAppStore(storage.db);
      const otherApp = await apps.ensure(other.workspace.id, 'other app', clock.now());
      const elsewhere = { userId: other.user.id, workspaceId: other.workspace.id, appId: otherApp.id };
      await grants.record({ id: 'grant-ws-1', ...owner, clientId: 'cw', clientName: 'CW', scopes: ['memories:read'] }, ACTOR);
      await grants.record({ id: 'grant-ws-2', ...elsewhere, clientId: 'cw', clientName: 'CW', scopes: ['memories:read'] }, ACTOR);
      await adapter('RefreshToken').upsert('rt-ws-1', { jti: 'rt-ws-1', grantId: 'grant-ws-1' }, 600);
      const mine = await clients.create(owner, { name: 'ws client', scopes: ['memories:read'] }, ACTOR);
      const theirs = await clients.create(elsewhere, { name: 'other client', scopes: ['memories:read'] }, ACTOR);

      const listed = await grants.listInWorkspace(owner.workspaceId);
      expect(listed.map((g) => g.id)).toContain('grant-ws-1');
      expect(listed.map((g) => g.id)).not.toContain('grant-ws-2');
      expect(listed.find((g) => g.id === 'grant-ws-1')?.holder).toEqual({ userId: owner.userId, email: `${label}@example.com`, name: null, role: 'owner' });
      const listedClients = await clients.listInWorkspace(owner.workspaceId);
      expect(listedClients.map((c) => c.id)).toContain(mine.clientId);
      expect(listedClients.map((c) => c.id)).not.toContain(theirs.clientId);
      expect(listedClients.find((c) => c.id === mine.clientId)?.holder).toMatchObject({ userId: owner.userId, role: 'owner' });

      const event = (targetId: string, action: 'oauth_grant.revoke' | 'oauth_client.delete') => ({
        at: 0,
        workspaceId: owner.workspaceId,
        userId: 'usr_the_admin',
        credentialKind: 'session' as const,
        credentialId: 'ses_admin',
        appId: null,
        action,
        targetId,
        requestId: null,
        detail: { byAdmin: true },
      });
      await expect(grants.revokeInWorkspace(owner.workspaceId, 'grant-ws-2', (g) => event(g.id, 'oauth_grant.revoke'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(clients.deleteInWorkspace(owner.workspaceId, theirs.clientId, (c) => event(c.id, 'oauth_client.delete'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect(await grants.isGrantActive('grant-ws-2')).toBe(true);
      expect(await clients.isActive(theirs.clientId)).toBe(true);

      await grants.revokeInWorkspace(owner.workspaceId, 'grant-ws-1', (g) => event(g.id, 'oauth_grant.revoke'));
      await clients.deleteInWorkspace(owner.workspaceId, mine.clientId, (c) => event(c.id, 'oauth_client.delete'));
      expect(await grants.isGrantActive('grant-ws-1')).toBe(false);
      expect(await adapter('RefreshToken').find('rt-ws-1')).toBeUndefined();
      expect(await clients.isActive(mine.clientId)).toBe(false);
      expect(await adapter('Client').find(mine.clientId)).toBeUndefined();
      const audit = await storage.db
        .selectFrom('audit_log')
        .select(['action', 'user_id', 'credential_id', 'target_id', 'at'])
        .where('user_id', '=', 'usr_the_admin')
        .orderBy('action')
        .execute();
      expect(audit.map((a) => [a.action, a.target_id, a.credential_id, Number(a.at)])).toEqual([
        ['oauth_client.delete', mine.clientId, 'ses_admin', clock.now()],
        ['oauth_grant.revoke', 'grant-ws-1', 'ses_admin', clock.now()],
      ]);
    });

    it('deletes expired artefacts and nothing else', async () => {
      await adapter('Interaction').upsert('int-expiring', { jti: 'int-expiring' }, 10);
      await adapter('Interaction').upsert('int-lasting', { jti: 'int-lasting' }, 3600);
      clock.advance(11_000);
      expect(await store.purgeExpired()).toBeGreaterThanOrEqual(1);
      expect(await adapter('Interaction').find('int-expiring')).toBeUndefined();
      expect(await adapter('Interaction').find('int-lasting')).toBeDefined();
      expect(await adapter('Client').find('client-0003')).toBeDefined();
    });

    it('client-credentials clients: created with an encrypted secret, listed, rotated, deleted', async () => {
      const created = await clients.create(owner, { name: 'importer', scopes: ['memories:write', 'memories:read'] }, ACTOR);
      expect(created.view).toMatchObject({ name: 'importer', scopes: ['memories:read', 'memories:write'], workspaceId: owner.workspaceId });
      expect(await dump()).not.toContain(created.clientSecret);
      expect(await adapter('Client').find(created.clientId)).toMatchObject({ client_secret: created.clientSecret, grant_types: ['client_credentials'] });
      expect(await clients.owner(created.clientId)).toMatchObject({ scopes: ['memories:read', 'memories:write'] });
      expect(await clients.owner(created.clientId)).toMatchObject({ userId: owner.userId, workspaceId: owner.workspaceId });
      await expect(clients.create(owner, { name: 'too strong', scopes: ['admin'] }, ACTOR)).rejects.toMatchObject({ code: 'INVALID_INPUT' });

      const rotated = await clients.rotate(owner, created.clientId, ACTOR);
      expect(rotated.clientSecret).not.toBe(created.clientSecret);
      expect(await adapter('Client').find(created.clientId)).toMatchObject({ client_secret: rotated.clientSecret });
      await expect(clients.rotate({ userId: 'usr_x', workspaceId: owner.workspaceId }, created.clientId, ACTOR)).rejects.toMatchObject({ code: 'NOT_FOUND' });

      expect(await clients.isActive(created.clientId)).toBe(true);
      await clients.delete(owner, created.clientId, ACTOR);
      expect(await clients.isActive(created.clientId)).toBe(false);
      expect(await adapter('Client').find(created.clientId)).toBeUndefined();
      expect(await clients.list(owner)).toEqual([]);
    });

    it('signing keys: the private half only encrypted, one created on first use, rotation keeps the old one verifying for the window', async () => {
      const keys = new SigningKeyStore(storage.db, SECRET, clock, { verifyWindowMs: 60_000 });
      const first = await keys.current();
      expect(first).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig', d: expect.any(String) });
      expect((await keys.current()).kid).toBe(first.kid);
      const rows = JSON.stringify(await storage.db.selectFrom('oauth_signing_keys').selectAll().execute());
      expect(rows).not.toContain(first.d);
      const published = await keys.publicJwks();
      expect(published.keys.map((k) => k.kid)).toEqual([first.kid]);
      expect(published.keys[0]).not.toHaveProperty('d');

      const { kid, retired } = await keys.rotate();
      expect(retired).toEqual([first.kid]);
      expect((await keys.current()).kid).toBe(kid);
      expect((await keys.publicJwks()).keys.map((k) => k.kid)).toEqual([kid, first.kid]);
      clock.advance(60_001);
      expect((await keys.publicJwks()).keys.map((k) => k.kid)).toEqual([kid]);

      // Under another server secret the keys cannot be opened, and the error says why.
      const wrong = new SigningKeyStore(storage.db, `${SECRET}-other`, clock);
      await expect(wrong.current()).rejects.toThrow(/CAIRN_SECRET/);
    });
  });
}
