import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAccountUser, signInCookie } from '../../testing/accounts.js';
import { buildTestApp, type TestApp } from '../../testing/build-test-app.js';
import { authorizeUrl, basicAuth, csrfFrom, get, location, oauthWorld, pkce, postForm, relative, TEST_REDIRECT, tokenRequest, type CookieJar, type OAuthWorld, type RegisteredClient } from '../../testing/oauth-flow.js';

/** A stack frame in a body would be an internal detail leaking to a caller. */
const STACK = /\n\s+at |node_modules|\.(ts|js):\d+/;

let t: TestApp;
let w: OAuthWorld;
let jar: CookieJar;
let client: RegisteredClient;
let cc: { clientId: string; clientSecret: string };

beforeAll(async () => {
  t = await buildTestApp();
  t.clock.set(Date.now());
  const publicUrl = t.runtime.config.http.publicUrl;
  w = oauthWorld(t.app, publicUrl, (email) => signInCookie(t.app, publicUrl, email));
  const ana = await createAccountUser(t.runtime.services, 'ana@example.com');
  jar = await w.signIn('ana@example.com');
  client = await w.registerNative();
  cc = await t.runtime.services.oauth.clients.create({ userId: ana.user.id, workspaceId: ana.workspace.id }, { name: 'probe', scopes: ['memories:read'] }, { kind: 'cli', credentialId: null });
});
afterAll(async () => t.close());
beforeEach(() => t.faults.up());

describe('with the database unreachable, the authorization server fails closed (503, never success)', () => {
  it('token endpoint: 503 temporarily_unavailable, no-store, Retry-After, no stack', async () => {
    const { tokens } = await w.connect(jar, client);
    t.faults.down();
    const requests: Record<string, string>[] = [
      { grant_type: 'refresh_token', refresh_token: tokens.refresh_token!, client_id: client.client_id },
      { grant_type: 'authorization_code', code: 'whatever', redirect_uri: TEST_REDIRECT, client_id: client.client_id, code_verifier: pkce().verifier },
    ];
    for (const fields of requests) {
      const res = await tokenRequest(t.app, fields);
      expect(res.statusCode, fields.grant_type).toBe(503);
      expect(res.json()).toMatchObject({ error: 'temporarily_unavailable' });
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body).not.toMatch(STACK);
    }
    const ccRes = await tokenRequest(t.app, { grant_type: 'client_credentials', scope: 'memories:read', resource: w.resource }, { authorization: basicAuth(cc.clientId, cc.clientSecret) });
    expect(ccRes.statusCode).toBe(503);
    t.faults.up();
    // Nothing was spent while it was down: the refresh token still works.
    expect((await tokenRequest(t.app, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token!, client_id: client.client_id })).statusCode).toBe(200);
  });

  it('authorization endpoint and consent page: a 503 page, never a redirect with a code', async () => {
    const start = await get(t.app, jar, authorizeUrl({ client_id: client.client_id, redirect_uri: TEST_REDIRECT, code_challenge: pkce().challenge, code_challenge_method: 'S256', scope: 'memories:read', resource: w.resource }));
    const interaction = relative(location(start));
    const page = await get(t.app, jar, interaction);
    t.faults.down();
    const authorize = await get(t.app, jar, authorizeUrl({ client_id: client.client_id, redirect_uri: TEST_REDIRECT, code_challenge: pkce().challenge, code_challenge_method: 'S256' }));
    expect(authorize.statusCode).toBe(503);
    expect(authorize.headers.location).toBeUndefined();
    expect(authorize.headers['content-type']).toMatch(/^text\/html/);
    expect(authorize.body).toContain('temporarily_unavailable');
    expect(authorize.body).not.toMatch(STACK);

    const consent = await get(t.app, jar, interaction);
    expect(consent.statusCode).toBe(503);
    const approve = await postForm(t.app, jar, interaction, { csrf: csrfFrom(page.body), decision: 'approve', workspace: /<option value="([^"]+)"/.exec(page.body)![1]! });
    expect(approve.statusCode).toBe(503);
    expect(approve.headers.location).toBeUndefined();
    expect(approve.body).not.toMatch(STACK);
  });

  it('registration: 503 JSON', async () => {
    t.faults.down();
    const res = await t.app.inject({ method: 'POST', url: '/register', headers: { 'content-type': 'application/json' }, payload: { redirect_uris: ['http://127.0.0.1/cb'], token_endpoint_auth_method: 'none' } });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ error: 'temporarily_unavailable' });
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('liveness: a token is refused with 503 rather than accepted when its grant cannot be checked', async () => {
    const { tokens } = await w.connect(jar, client);
    t.faults.down();
    await expect(t.runtime.services.oauth.grants.active('any')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    const res = await t.call('GET', '/api/v1/me', { key: tokens.access_token });
    expect(res.statusCode).toBe(503);
  });
});

describe('malformed requests get RFC error codes, never a stack trace', () => {
  it.each([
    ['a token request with no body', { method: 'POST' as const, url: '/token' }],
    ['a token request with an unknown grant type', { method: 'POST' as const, url: '/token', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'grant_type=password&username=a&password=b' }],
    ['a token request as JSON', { method: 'POST' as const, url: '/token', headers: { 'content-type': 'application/json' }, payload: '{"grant_type":"client_credentials"}' }],
    ['a registration that is not JSON', { method: 'POST' as const, url: '/register', headers: { 'content-type': 'application/json' }, payload: '{"redirect_uris":' }],
    ['a revocation without a token', { method: 'POST' as const, url: '/revoke', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'client_id=x' }],
  ])('%s', async (_name, request) => {
    const res = await t.app.inject(request);
    expect(res.statusCode).toBeGreaterThanOrEqual(400);
    expect(res.statusCode).toBeLessThan(500);
    expect((res.json() as { error: string }).error).toMatch(/^(invalid_request|unsupported_grant_type|invalid_client|invalid_client_metadata)$/);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).not.toMatch(STACK);
  });

  it('a consent page for an interaction that does not exist is a page, not a crash', async () => {
    const res = await get(t.app, jar, '/interaction/does-not-exist');
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toContain('expired');
    expect(res.body).not.toMatch(STACK);
  });
});
