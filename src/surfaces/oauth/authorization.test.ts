import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../core/ids.js';
import { createAccountUser, signInCookie } from '../../testing/accounts.js';
import { buildTestApp, type TestApp } from '../../testing/build-test-app.js';
import {
  authorizeUrl,
  authorizeWithConsent,
  CookieJar,
  csrfFrom,
  get,
  jwtClaims,
  jwtHeader,
  location,
  oauthWorld,
  pkce,
  postForm,
  relative,
  TEST_REDIRECT,
  tokenRequest,
  type OAuthWorld,
  type RegisteredClient,
} from '../../testing/oauth-flow.js';

let t: TestApp;
let w: OAuthWorld;
let ana: { user: { id: string }; workspace: { id: string } };
let jar: CookieJar;
let client: RegisteredClient;

beforeAll(async () => {
  t = await buildTestApp();
  // oidc-provider keeps real time; the resource server's clock must agree with it.
  t.clock.set(Date.now());
  const publicUrl = t.runtime.config.http.publicUrl;
  w = oauthWorld(t.app, publicUrl, (email) => signInCookie(t.app, publicUrl, email));
  ana = await createAccountUser(t.runtime.services, 'ana@example.com');
  jar = await w.signIn('ana@example.com');
  client = await w.registerNative({ client_name: 'Scripted <b>client</b>' });
});
afterAll(async () => t.close());

function startParams(overrides: Record<string, string | undefined> = {}) {
  const p = pkce();
  return {
    p,
    params: {
      client_id: client.client_id,
      redirect_uri: TEST_REDIRECT,
      code_challenge: p.challenge,
      code_challenge_method: 'S256',
      scope: 'memories:read memories:write',
      state: 'st-1',
      resource: w.resource,
      ...overrides,
    },
  };
}

describe('authorization code with PKCE (OAuth 2.1, RFC 7636, RFC 9207)', () => {
  it('completes: state echoed once, iss equal to the issuer, a no-store JSON token response, and a token that works', async () => {
    const { p, params } = startParams();
    const { callback } = await authorizeWithConsent(t.app, jar, params, { decision: 'approve' });
    expect(callback.origin + callback.pathname).toBe(TEST_REDIRECT);
    expect(callback.searchParams.getAll('state')).toEqual(['st-1']);
    expect(callback.searchParams.getAll('code')).toHaveLength(1);
    expect(callback.searchParams.get('iss')).toBe(w.publicUrl);
    expect(callback.searchParams.has('error')).toBe(false);

    const res = await tokenRequest(t.app, { grant_type: 'authorization_code', code: callback.searchParams.get('code')!, redirect_uri: TEST_REDIRECT, client_id: client.client_id, code_verifier: p.verifier, resource: w.resource });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['cache-control']).toBe('no-store');
    const body = res.json() as { access_token: string; token_type: string; expires_in: number; refresh_token: string; scope: string };
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 300, scope: 'memories:read memories:write' });
    expect(body.refresh_token).toEqual(expect.any(String));

    const me = await t.call('GET', '/api/v1/me', { key: body.access_token });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ user: { id: ana.user.id }, workspace: { id: ana.workspace.id }, scopes: ['memories:read', 'memories:write'], credential: { kind: 'oauth_access_token' } });
  });

  it('issues RFC 9068 tokens with the contract claims of src/auth/oauth-tokens/ports.ts', async () => {
    const { tokens } = await w.connect(jar, client);
    const header = jwtHeader(tokens.access_token);
    expect(header).toMatchObject({ typ: 'at+jwt', alg: 'ES256' });
    const jwks = (await t.app.inject({ method: 'GET', url: '/jwks' })).json() as { keys: { kid: string }[] };
    expect(jwks.keys.map((k) => k.kid)).toContain(header.kid);
    const claims = jwtClaims(tokens.access_token);
    const grant = (await t.runtime.services.oauth.grants.list({ userId: ana.user.id, workspaceId: ana.workspace.id })).find((g) => g.id === claims.cairn_gid);
    expect(claims).toMatchObject({
      iss: w.publicUrl,
      aud: w.resource,
      sub: ana.user.id,
      client_id: client.client_id,
      scope: 'memories:read memories:write',
      cairn_uid: ana.user.id,
      cairn_ws: ana.workspace.id,
      cairn_app: grant!.appId,
      cairn_gid: grant!.id,
    });
    expect(claims).not.toHaveProperty('cairn_cc');
    expect(Number(claims.exp) - Number(claims.iat)).toBe(300);
    expect(claims.jti).toEqual(expect.any(String));
    // The app is named after the client, so memories written with the token say who wrote them.
    const written = await t.call('POST', '/api/v1/memories', { key: tokens.access_token, body: { content: 'written over OAuth' } });
    expect(written.statusCode).toBe(201);
    expect(written.json()).toMatchObject({ memory: { app: { id: grant!.appId, name: 'Scripted <b>client</b>' } } });
  });

  it('matches a loopback redirect on any port (RFC 8252 §7.3) but everything else exactly', async () => {
    const { params } = startParams({ redirect_uri: 'http://127.0.0.1:61234/callback' });
    const { callback } = await authorizeWithConsent(t.app, jar, params, { decision: 'approve' });
    expect(callback.href.startsWith('http://127.0.0.1:61234/callback?')).toBe(true);

    for (const redirect of ['http://127.0.0.1:61234/callback/', 'http://127.0.0.1:61234/other', 'http://localhost:43110/callback', 'https://evil.example/callback']) {
      const res = await get(t.app, jar, authorizeUrl(startParams({ redirect_uri: redirect }).params));
      // An unverified redirect URI is never redirected to: the error is a page of its own.
      expect(res.statusCode, redirect).toBe(400);
      expect(res.headers.location).toBeUndefined();
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body).toContain('redirect_uri');
    }
  });

  it('shows an error page, not a redirect, for an unknown client or a missing redirect_uri', async () => {
    const unknown = await get(t.app, jar, authorizeUrl(startParams({ client_id: 'no-such-client' }).params));
    expect(unknown.statusCode).toBe(400);
    expect(unknown.headers.location).toBeUndefined();
    expect(unknown.body).toContain('invalid_client');
    const missing = await get(t.app, jar, authorizeUrl(startParams({ redirect_uri: undefined }).params).replace('redirect_uri=&', ''));
    expect(missing.statusCode).toBe(400);
    expect(missing.headers.location).toBeUndefined();
  });

  it('refuses plain PKCE and a missing code challenge, redirecting the error with state and iss', async () => {
    for (const overrides of [{ code_challenge_method: 'plain' }, { code_challenge: undefined, code_challenge_method: undefined }]) {
      const res = await get(t.app, jar, authorizeUrl(startParams(overrides).params));
      expect(res.statusCode).toBe(303);
      const target = new URL(location(res));
      expect(target.origin + target.pathname).toBe(TEST_REDIRECT);
      expect(target.searchParams.get('error')).toBe('invalid_request');
      expect(target.searchParams.get('state')).toBe('st-1');
      expect(target.searchParams.get('iss')).toBe(w.publicUrl);
    }
  });

  it('refuses a resource other than its own /mcp (RFC 8707 invalid_target), at the authorization and the token endpoint', async () => {
    for (const resource of ['https://other.example/mcp', `${w.publicUrl}/mcp/`, `${w.publicUrl}/api`]) {
      const res = await get(t.app, jar, authorizeUrl(startParams({ resource }).params));
      const target = new URL(location(res));
      expect(target.searchParams.get('error'), resource).toBe('invalid_target');
      expect(target.searchParams.get('iss')).toBe(w.publicUrl);
    }
    const { p, params } = startParams();
    const { callback } = await authorizeWithConsent(t.app, jar, params, { decision: 'approve' });
    const res = await tokenRequest(t.app, { grant_type: 'authorization_code', code: callback.searchParams.get('code')!, redirect_uri: TEST_REDIRECT, client_id: client.client_id, code_verifier: p.verifier, resource: 'https://other.example/mcp' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'invalid_target' });
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('binds the token to /mcp even when the client sends no resource at all', async () => {
    const { p, params } = startParams({ resource: undefined });
    const { callback } = await authorizeWithConsent(t.app, jar, params, { decision: 'approve' });
    const res = await tokenRequest(t.app, { grant_type: 'authorization_code', code: callback.searchParams.get('code')!, redirect_uri: TEST_REDIRECT, client_id: client.client_id, code_verifier: p.verifier });
    expect(jwtClaims((res.json() as { access_token: string }).access_token).aud).toBe(w.resource);
  });

  it('refuses a wrong code_verifier with invalid_grant', async () => {
    const { params } = startParams();
    const { callback } = await authorizeWithConsent(t.app, jar, params, { decision: 'approve' });
    const res = await tokenRequest(t.app, { grant_type: 'authorization_code', code: callback.searchParams.get('code')!, redirect_uri: TEST_REDIRECT, client_id: client.client_id, code_verifier: pkce().verifier, resource: w.resource });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'invalid_grant' });
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('never grants admin, whatever is asked', async () => {
    const { tokens } = await w.connect(jar, client, { scope: 'admin memories:read' });
    expect(tokens.scope).toBe('memories:read');
    expect((await t.call('GET', '/api/v1/keys', { key: tokens.access_token })).statusCode).toBe(403);
  });

  it('offers all three memory scopes to a client that asked for none, and grants what the page showed', async () => {
    const { tokens } = await w.connect(jar, client, { scope: 'offline_access' });
    expect(tokens.scope?.split(' ').sort()).toEqual(['memories:delete', 'memories:read', 'memories:write']);
  });
});

describe('the consent page', () => {
  it('sends a person who is not signed in to the login page, and back', async () => {
    const anonymous = new CookieJar();
    const start = await get(t.app, anonymous, authorizeUrl(startParams().params));
    const interaction = relative(location(start));
    const page = await get(t.app, anonymous, interaction);
    expect(page.statusCode).toBe(303);
    const login = location(page);
    expect(login).toMatch(/^\/login\?/);
    expect(new URL(login, w.publicUrl).searchParams.get('return_to')).toBe(interaction);
  });

  it('names the client and where the answer goes, warns, explains the scopes, and cannot be framed or cached', async () => {
    const start = await get(t.app, jar, authorizeUrl(startParams({ scope: 'memories:read offline_access' }).params));
    const page = await get(t.app, jar, relative(location(start)));
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(page.headers['content-security-policy']).not.toContain('form-action');
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.headers['cache-control']).toBe('no-store');
    // The client's own name is text, never markup.
    expect(page.body).toContain('Scripted &lt;b&gt;client&lt;/b&gt;');
    expect(page.body).not.toContain('<b>client</b>');
    expect(page.body).toContain('127.0.0.1:43110');
    expect(page.body).toContain('Cairn has not verified this app');
    expect(page.body).toContain('a program on this computer');
    expect(page.body).toContain('Read and search the memories in the workspace (memories:read)');
    expect(page.body).not.toContain('(memories:write)');
    expect(page.body).toContain('Stay connected when you are not using it');
    expect(page.body).toMatch(/<select id="workspace" name="workspace">\s*<option value="ws_[^"]+" selected>/);
    expect(page.body).toContain('name="decision" value="approve"');
    expect(page.body).toContain('name="decision" value="deny" class="secondary"');
    expect(page.body).not.toMatch(/<script/i);
  });

  it('sends access_denied (with state and iss) back to the client when the person denies', async () => {
    const { callback } = await authorizeWithConsent(t.app, jar, startParams().params, { decision: 'deny' });
    expect(callback.origin + callback.pathname).toBe(TEST_REDIRECT);
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(callback.searchParams.get('state')).toBe('st-1');
    expect(callback.searchParams.get('iss')).toBe(w.publicUrl);
    expect(callback.searchParams.has('code')).toBe(false);
  });

  it('refuses a form without the CSRF token of this interaction and this session', async () => {
    const before = (await t.runtime.services.oauth.grants.listForUser(ana.user.id)).length;
    const start = await get(t.app, jar, authorizeUrl(startParams().params));
    const interaction = relative(location(start));
    const page = await get(t.app, jar, interaction);
    const workspace = /<option value="([^"]+)"/.exec(page.body)![1]!;
    for (const csrf of ['', 'x'.repeat(64), csrfFrom(page.body).replace(/.$/, (c) => (c === 'a' ? 'b' : 'a'))]) {
      const res = await postForm(t.app, jar, interaction, { csrf, decision: 'approve', workspace });
      expect(res.statusCode).toBe(403);
      expect(res.headers.location).toBeUndefined();
    }
    // Another person's session in another browser has another token, even for the same interaction.
    await createAccountUser(t.runtime.services, 'bo@example.com');
    const bo = await w.signIn('bo@example.com');
    const boPage = await get(t.app, bo, interaction);
    expect(boPage.statusCode).toBe(400); // the interaction cookie belongs to Ana's browser
    expect((await t.runtime.services.oauth.grants.listForUser(ana.user.id)).length).toBe(before);
  });

  it('acts in the workspace the person picks, and only one they belong to', async () => {
    const now = t.clock.now();
    const shared = newId('ws', now);
    await t.runtime.storage.db.insertInto('workspaces').values({ id: shared, name: 'Team', kind: 'shared', created_at: now }).execute();
    await t.runtime.storage.db.insertInto('memberships').values({ workspace_id: shared, user_id: ana.user.id, role: 'member', created_at: now }).execute();
    const readOnly = newId('ws', now + 1);
    await t.runtime.storage.db.insertInto('workspaces').values({ id: readOnly, name: 'Handbook', kind: 'shared', created_at: now + 1 }).execute();
    await t.runtime.storage.db.insertInto('memberships').values({ workspace_id: readOnly, user_id: ana.user.id, role: 'viewer', created_at: now + 1 }).execute();
    const stranger = await t.createUser('stranger@example.com');

    const start = await get(t.app, jar, authorizeUrl(startParams().params));
    const interaction = relative(location(start));
    const page = await get(t.app, jar, interaction);
    // Each option says what the person is there, so a viewer knows before approving that the app can only read.
    expect(page.body).toContain(`<option value="${shared}">Team (you are a member)</option>`);
    expect(page.body).toContain(`<option value="${readOnly}">Handbook (you are a viewer: it can only read)</option>`);
    expect(page.body).toMatch(/<option value="ws_[^"]+" selected>[^<]+ \(personal\)<\/option>/);
    const refused = await postForm(t.app, jar, interaction, { csrf: csrfFrom(page.body), decision: 'approve', workspace: stranger.workspace.id });
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toContain('Choose one of your workspaces');

    const { tokens } = await w.connect(jar, client, { workspace: shared });
    expect(jwtClaims(tokens.access_token).cairn_ws).toBe(shared);
    expect((await t.call('GET', '/api/v1/me', { key: tokens.access_token })).json()).toMatchObject({ workspace: { id: shared, name: 'Team' } });
  });

  it('asks again on every authorization, and for the person signed in now (the provider session is not reused)', async () => {
    await w.connect(jar, client);
    // Same browser, next authorization: consent again, not a silent code.
    const again = await get(t.app, jar, authorizeUrl(startParams().params));
    expect(location(again)).toContain('/interaction/');

    // Another person signs in in this same browser: the tokens are theirs, and Ana's grants stay.
    const anaGrants = (await t.runtime.services.oauth.grants.listForUser(ana.user.id)).filter((g) => g.revokedAt === null).length;
    const cy = await createAccountUser(t.runtime.services, 'cy@example.com');
    const shared = new CookieJar(jar.header);
    shared.add((await w.signIn('cy@example.com')).header.split('; '));
    const { tokens } = await w.connect(shared, client);
    expect(jwtClaims(tokens.access_token).sub).toBe(cy.user.id);
    expect((await t.runtime.services.oauth.grants.listForUser(ana.user.id)).filter((g) => g.revokedAt === null).length).toBe(anaGrants);
  });
});
