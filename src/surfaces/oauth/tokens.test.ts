import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashId } from '../../oauth/adapter.js';
import { createAccountUser, signInCookie } from '../../testing/accounts.js';
import { buildTestApp, type TestApp } from '../../testing/build-test-app.js';
import { authorizeWithConsent, basicAuth, CookieJar, jwtClaims, jwtHeader, oauthWorld, pkce, registerClient, TEST_REDIRECT, tokenRequest, type OAuthWorld, type RegisteredClient, type TokenResponse } from '../../testing/oauth-flow.js';

let t: TestApp;
let w: OAuthWorld;
let ana: { user: { id: string }; workspace: { id: string } };
let jar: CookieJar;
let client: RegisteredClient;
let adminKey: string;

beforeAll(async () => {
  t = await buildTestApp();
  t.clock.set(Date.now());
  const publicUrl = t.runtime.config.http.publicUrl;
  w = oauthWorld(t.app, publicUrl, (email) => signInCookie(t.app, publicUrl, email));
  ana = await createAccountUser(t.runtime.services, 'ana@example.com');
  adminKey = (await t.createKey({ user: ana.user as never, workspace: ana.workspace as never }, { name: 'admin' })).key;
  jar = await w.signIn('ana@example.com');
  client = await w.registerNative();
});
afterAll(async () => t.close());

const refresh = (refreshToken: string, clientId = client.client_id) => tokenRequest(t.app, { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: clientId, resource: w.resource });
const me = (token: string) => t.call('GET', '/api/v1/me', { key: token });
async function grantStatus(grantId: string) {
  return (await t.runtime.services.oauth.grants.listForUser(ana.user.id)).find((g) => g.id === grantId)?.revokedAt === null ? 'active' : 'revoked';
}

describe('refresh tokens (OAuth 2.1 §4.3.1: rotated for public clients, reuse revokes the grant)', () => {
  it('rotates on every refresh; the new access token works under the same grant', async () => {
    const { tokens } = await w.connect(jar, client);
    const res = await refresh(tokens.refresh_token!);
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const next = res.json() as TokenResponse;
    expect(next.refresh_token).toEqual(expect.any(String));
    expect(next.refresh_token).not.toBe(tokens.refresh_token);
    expect(next.access_token).not.toBe(tokens.access_token);
    expect(jwtClaims(next.access_token).cairn_gid).toBe(jwtClaims(tokens.access_token).cairn_gid);
    expect((await me(next.access_token)).statusCode).toBe(200);
    // The rotated token goes on working.
    expect((await refresh(next.refresh_token!)).statusCode).toBe(200);
  });

  it('a reused refresh token is refused and revokes the whole grant: every token issued under it stops at once', async () => {
    const { tokens } = await w.connect(jar, client);
    const grantId = String(jwtClaims(tokens.access_token).cairn_gid);
    const rotated = (await refresh(tokens.refresh_token!)).json() as TokenResponse;
    expect((await me(rotated.access_token)).statusCode).toBe(200);

    const reused = await refresh(tokens.refresh_token!);
    expect(reused.statusCode).toBe(400);
    expect(reused.json()).toMatchObject({ error: 'invalid_grant' });
    expect(reused.headers['cache-control']).toBe('no-store');

    expect(await grantStatus(grantId)).toBe('revoked');
    expect((await me(rotated.access_token)).statusCode).toBe(401);
    expect((await me(tokens.access_token)).statusCode).toBe(401);
    expect((await refresh(rotated.refresh_token!)).json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('two refreshes racing with one token: one wins, the other is a reuse', async () => {
    const { tokens } = await w.connect(jar, client);
    const results = await Promise.all([refresh(tokens.refresh_token!), refresh(tokens.refresh_token!)]);
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 400]);
    expect(await grantStatus(String(jwtClaims(tokens.access_token).cairn_gid))).toBe('revoked');
  });

  it('refuses another client’s refresh token', async () => {
    const { tokens } = await w.connect(jar, client);
    const other = await w.registerNative();
    expect((await refresh(tokens.refresh_token!, other.client_id)).json()).toMatchObject({ error: 'invalid_grant' });
  });
});

describe('what the database holds', () => {
  it('never a code, a refresh token, an access token id or a session cookie: only their SHA-256', async () => {
    const { tokens, callback } = await w.connect(jar, client);
    const rotated = (await refresh(tokens.refresh_token!)).json() as TokenResponse;
    const secrets = {
      code: callback.searchParams.get('code')!,
      refreshToken: tokens.refresh_token!,
      rotatedRefreshToken: rotated.refresh_token!,
      accessTokenId: String(jwtClaims(tokens.access_token).jti),
      accessToken: tokens.access_token,
      sessionCookie: /cairn_as_session=([^;]+)/.exec(jar.header)?.[1] ?? '',
    };
    expect(secrets.sessionCookie).not.toBe('');
    const rows = await t.runtime.storage.db.selectFrom('oauth_store').selectAll().execute();
    const dump = JSON.stringify(rows);
    for (const [name, value] of Object.entries(secrets)) expect(dump.includes(value), name).toBe(false);
    const ids = new Set(rows.map((r) => `${r.model}:${r.id}`));
    expect(ids.has(`AuthorizationCode:${hashId(secrets.code)}`)).toBe(true);
    expect(ids.has(`RefreshToken:${hashId(secrets.refreshToken)}`)).toBe(true);
    // JWT access tokens are not stored at all: nothing to find, nothing to leak.
    expect(rows.some((r) => r.model === 'AccessToken')).toBe(false);
  });
});

describe('authorization codes (RFC 6749 §4.1.2: single use; a reused code revokes the grant)', () => {
  it('refuses the second redemption and revokes what the first one got', async () => {
    const p = pkce();
    const { callback } = await authorizeWithConsent(
      t.app,
      jar,
      { client_id: client.client_id, redirect_uri: TEST_REDIRECT, code_challenge: p.challenge, code_challenge_method: 'S256', scope: 'memories:read', resource: w.resource },
      { decision: 'approve' },
    );
    const exchange = () => tokenRequest(t.app, { grant_type: 'authorization_code', code: callback.searchParams.get('code')!, redirect_uri: TEST_REDIRECT, client_id: client.client_id, code_verifier: p.verifier, resource: w.resource });
    const first = await exchange();
    expect(first.statusCode).toBe(200);
    const tokens = first.json() as TokenResponse;
    expect((await me(tokens.access_token)).statusCode).toBe(200);

    const second = await exchange();
    expect(second.statusCode).toBe(400);
    expect(second.json()).toMatchObject({ error: 'invalid_grant' });
    expect(await grantStatus(String(jwtClaims(tokens.access_token).cairn_gid))).toBe('revoked');
    expect((await me(tokens.access_token)).statusCode).toBe(401);
    expect((await refresh(tokens.refresh_token!)).json()).toMatchObject({ error: 'invalid_grant' });
  });
});

describe('revocation (RFC 7009) and introspection (RFC 7662)', () => {
  const post = (url: string, fields: Record<string, string>) =>
    t.app.inject({ method: 'POST', url, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(fields).toString() });

  it('revoking the refresh token ends the grant and every token under it', async () => {
    const { tokens } = await w.connect(jar, client);
    const res = await post('/revoke', { token: tokens.refresh_token!, token_type_hint: 'refresh_token', client_id: client.client_id });
    expect(res.statusCode).toBe(200);
    expect((await me(tokens.access_token)).statusCode).toBe(401);
    expect((await refresh(tokens.refresh_token!)).json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('answers unsupported_token_type for a JWT access token (RFC 7009 §2.2.1): it ends with its grant or in minutes', async () => {
    const { tokens } = await w.connect(jar, client);
    const res = await post('/revoke', { token: tokens.access_token, client_id: client.client_id });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'unsupported_token_type' });
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('a client cannot revoke another client’s refresh token', async () => {
    const { tokens } = await w.connect(jar, client);
    const other = await w.registerNative();
    await post('/revoke', { token: tokens.refresh_token!, client_id: other.client_id });
    expect((await me(tokens.access_token)).statusCode).toBe(200);
    expect((await refresh(tokens.refresh_token!)).statusCode).toBe(200);
  });

  it('introspects a client’s own refresh token, and tells another client nothing', async () => {
    const { tokens } = await w.connect(jar, client);
    const own = await post('/introspect', { token: tokens.refresh_token!, client_id: client.client_id });
    expect(own.statusCode).toBe(200);
    expect(own.headers['cache-control']).toBe('no-store');
    expect(own.json()).toMatchObject({ active: true, client_id: client.client_id, sub: ana.user.id });
    const other = await w.registerNative();
    expect((await post('/introspect', { token: tokens.refresh_token!, client_id: other.client_id })).json()).toEqual({ active: false });
  });
});

describe('client credentials (machine clients created by a user)', () => {
  async function createClient(scopes: string[] = ['memories:read', 'memories:write']) {
    const res = await t.call('POST', '/api/v1/oauth-clients', { key: adminKey, body: { name: 'nightly import', scopes } });
    expect(res.statusCode).toBe(201);
    expect(res.headers['cache-control']).toBe('no-store');
    return res.json() as { clientId: string; clientSecret: string; client: { appId: string; scopes: string[] } };
  }
  const ccToken = (clientId: string, secret: string, scope = 'memories:read memories:write') =>
    tokenRequest(t.app, { grant_type: 'client_credentials', scope, resource: w.resource }, { authorization: basicAuth(clientId, secret) });

  it('issues tokens that act for the owner in the owner’s workspace, carrying cairn_cc', async () => {
    const created = await createClient();
    expect(created.clientSecret).toMatch(/^cairn_cs_[0-9A-Za-z]{43}$/);
    const res = await ccToken(created.clientId, created.clientSecret);
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const body = res.json() as TokenResponse;
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 300, scope: 'memories:read memories:write' });
    expect(body.refresh_token).toBeUndefined();
    expect(jwtHeader(body.access_token)).toMatchObject({ typ: 'at+jwt', alg: 'ES256' });
    expect(jwtClaims(body.access_token)).toMatchObject({
      iss: w.publicUrl,
      aud: w.resource,
      sub: created.clientId,
      client_id: created.clientId,
      cairn_uid: ana.user.id,
      cairn_ws: ana.workspace.id,
      cairn_app: created.client.appId,
      cairn_cc: created.clientId,
    });
    expect(jwtClaims(body.access_token)).not.toHaveProperty('cairn_gid');
    expect((await me(body.access_token)).json()).toMatchObject({ user: { id: ana.user.id }, credential: { kind: 'client_credentials', id: created.clientId } });
  });

  it('limits token requests per client (60 a minute), whatever address they come from', async () => {
    const target = await createClient();
    const bystander = await createClient();
    const guess = (i: number) =>
      t.app.inject({
        method: 'POST',
        url: '/token',
        remoteAddress: `198.51.100.${i % 250}`,
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(target.clientId, `wrong-${i}`) },
        payload: new URLSearchParams({ grant_type: 'client_credentials', scope: 'memories:read', resource: w.resource }).toString(),
      });
    for (let i = 0; i < 60; i++) expect((await guess(i)).statusCode).toBe(401);
    const limited = await guess(60);
    expect(limited.statusCode).toBe(429);
    expect(limited.json()).toMatchObject({ error: 'temporarily_unavailable' });
    expect(limited.headers['cache-control']).toBe('no-store');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // Even the right secret waits now; another client is not affected.
    expect((await ccToken(target.clientId, target.clientSecret)).statusCode).toBe(429);
    expect((await ccToken(bystander.clientId, bystander.clientSecret)).statusCode).toBe(200);
  });

  it('narrows a request to the client’s scopes, and refuses one that asks for none of them', async () => {
    const created = await createClient(['memories:read']);
    const narrowed = (await ccToken(created.clientId, created.clientSecret, 'memories:read memories:write memories:delete')).json() as TokenResponse;
    expect(narrowed.scope).toBe('memories:read');
    expect(jwtClaims(narrowed.access_token).scope).toBe('memories:read');
    expect((await ccToken(created.clientId, created.clientSecret, 'memories:delete')).json()).toMatchObject({ error: 'invalid_scope' });
    expect((await ccToken(created.clientId, created.clientSecret, 'admin')).json()).toMatchObject({ error: 'invalid_scope' });
    expect((await ccToken(created.clientId, created.clientSecret, '')).json()).toMatchObject({ error: 'invalid_scope' });
    const ok = (await ccToken(created.clientId, created.clientSecret, 'memories:read')).json() as TokenResponse;
    expect(ok.scope).toBe('memories:read');
  });

  it('refuses a wrong secret; a rotated secret replaces the old one at once', async () => {
    const created = await createClient();
    // Change the last character (to a different one: a secret ending in 'x' must not stay right).
    const wrongSecret = created.clientSecret.replace(/.$/, (c) => (c === 'x' ? 'y' : 'x'));
    const wrong = await ccToken(created.clientId, wrongSecret);
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json()).toMatchObject({ error: 'invalid_client' });
    expect(wrong.headers['cache-control']).toBe('no-store');
    const rotated = await t.call('POST', `/api/v1/oauth-clients/${created.clientId}/rotate-secret`, { key: adminKey, body: {} });
    expect(rotated.statusCode).toBe(201);
    const { clientSecret } = rotated.json() as { clientSecret: string };
    expect((await ccToken(created.clientId, created.clientSecret)).statusCode).toBe(401);
    expect((await ccToken(created.clientId, clientSecret)).statusCode).toBe(200);
  });

  it('a deleted client gets no token, and the tokens it holds are refused at once', async () => {
    const created = await createClient();
    const token = ((await ccToken(created.clientId, created.clientSecret)).json() as TokenResponse).access_token;
    expect((await me(token)).statusCode).toBe(200);
    expect((await t.call('DELETE', `/api/v1/oauth-clients/${created.clientId}`, { key: adminKey })).statusCode).toBe(204);
    expect((await me(token)).statusCode).toBe(401);
    expect((await ccToken(created.clientId, created.clientSecret)).json()).toMatchObject({ error: 'invalid_client' });
  });

  it('cannot be registered through dynamic registration', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/register',
      headers: { 'content-type': 'application/json' },
      payload: { client_name: 'sneaky', grant_types: ['client_credentials'], response_types: [], redirect_uris: [], token_endpoint_auth_method: 'client_secret_basic' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'invalid_client_metadata' });
    // And a code-flow client may not use the grant.
    const reg = await registerClient(t.app, { redirect_uris: ['https://app.example/cb'], application_type: 'web', token_endpoint_auth_method: 'client_secret_basic' });
    const cc = await tokenRequest(t.app, { grant_type: 'client_credentials', scope: 'memories:read', resource: w.resource }, { authorization: basicAuth(reg.client_id, reg.client_secret!) });
    expect(cc.statusCode).toBe(400);
    expect(cc.json()).toMatchObject({ error: 'invalid_request', error_description: 'requested grant type is not allowed for this client' });
  });
});

describe('connected apps over REST', () => {
  it('lists the grants in the caller’s workspace and disconnects one (its tokens stop at once)', async () => {
    const { tokens } = await w.connect(jar, client);
    const grantId = String(jwtClaims(tokens.access_token).cairn_gid);
    const list = await t.call('GET', '/api/v1/connections', { key: adminKey });
    expect(list.statusCode).toBe(200);
    const found = (list.json() as { connections: { id: string }[] }).connections.find((c) => c.id === grantId);
    expect(found).toMatchObject({ id: grantId, client: { id: client.client_id, name: 'Scripted client' }, redirectHosts: ['127.0.0.1:43110'], workspaceId: ana.workspace.id, scopes: ['memories:read', 'memories:write'], status: 'active', revokedAt: null });
    expect(list.body).not.toContain(tokens.access_token);
    expect(list.body).not.toContain(tokens.refresh_token!);

    expect((await t.call('DELETE', `/api/v1/connections/${grantId}`, { key: adminKey })).statusCode).toBe(204);
    expect((await me(tokens.access_token)).statusCode).toBe(401);
    expect((await refresh(tokens.refresh_token!)).json()).toMatchObject({ error: 'invalid_grant' });
    const after = (await t.call('GET', '/api/v1/connections', { key: adminKey })).json() as { connections: { id: string; status: string }[] };
    expect(after.connections.find((c) => c.id === grantId)?.status).toBe('revoked');
    // Again: nothing left to revoke is not an error of the caller's making, but the grant is not theirs to find either.
    expect((await t.call('DELETE', '/api/v1/connections/grant-that-does-not-exist', { key: adminKey })).statusCode).toBe(404);
  });

  it('shows each connection’s redirect hosts from the client’s registration: distinct, with the port', async () => {
    const web = await registerClient(t.app, {
      client_name: 'Web app',
      redirect_uris: ['https://claude.example/api/mcp/auth_callback', 'https://claude.example/other', 'https://app.example:8443/cb'],
      application_type: 'web',
      token_endpoint_auth_method: 'none',
    });
    const { tokens } = await w.connect(jar, web, { redirect: 'https://claude.example/api/mcp/auth_callback' });
    const grantId = String(jwtClaims(tokens.access_token).cairn_gid);
    for (const path of ['/api/v1/connections', '/dashboard/api/v1/connections']) {
      const res = path.startsWith('/dashboard') ? await t.app.inject({ method: 'GET', url: path, headers: { cookie: jar.header } }) : await t.call('GET', path, { key: adminKey });
      expect(res.statusCode).toBe(200);
      const found = (res.json() as { connections: { id: string; redirectHosts: string[] }[] }).connections.find((c) => c.id === grantId);
      expect(found?.redirectHosts).toEqual(['claude.example', 'app.example:8443']);
    }
  });

  it('a connection whose client metadata is gone shows no redirect hosts', async () => {
    const gone = await w.registerNative({ client_name: 'Gone client' });
    const { tokens } = await w.connect(jar, gone);
    const grantId = String(jwtClaims(tokens.access_token).cairn_gid);
    await t.runtime.services.oauth.store.deleteClient(gone.client_id);
    const res = (await t.call('GET', '/api/v1/connections', { key: adminKey })).json() as { connections: { id: string; redirectHosts: string[] }[] };
    expect(res.connections.find((c) => c.id === grantId)?.redirectHosts).toEqual([]);
  });

  it('an OAuth token cannot list or disconnect apps (admin is never granted through OAuth)', async () => {
    const { tokens } = await w.connect(jar, client);
    expect((await t.call('GET', '/api/v1/connections', { key: tokens.access_token })).statusCode).toBe(403);
  });
});
