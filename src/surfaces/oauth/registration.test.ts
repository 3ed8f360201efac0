import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../testing/build-test-app.js';
import { isLoopbackRedirect, redirectUriProblem } from '../../oauth/redirect-uris.js';

let t: TestApp;

beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(async () => t.close());

let ip = 0;
/** Each registration from its own address, so the rate limit (tested below) does not interfere. */
const register = (metadata: Record<string, unknown>, remoteAddress = `10.0.${Math.floor(++ip / 250)}.${ip % 250}`) =>
  t.app.inject({ method: 'POST', url: '/register', headers: { 'content-type': 'application/json' }, payload: metadata, remoteAddress });

describe('dynamic client registration (RFC 7591): redirect URIs and application_type', () => {
  it('accepts a native client with a loopback redirect, and a web client with an https one', async () => {
    const native = await register({ client_name: 'CLI', redirect_uris: ['http://127.0.0.1:3000/cb', 'http://localhost/cb', 'http://[::1]:9/cb'], application_type: 'native', token_endpoint_auth_method: 'none' });
    expect(native.statusCode).toBe(201);
    expect(native.headers['cache-control']).toBe('no-store');
    expect(native.json()).toMatchObject({ application_type: 'native', token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'] });
    expect(native.json()).not.toHaveProperty('client_secret');

    const web = await register({ client_name: 'Hosted', redirect_uris: ['https://claude.ai/api/mcp/auth_callback'], application_type: 'web', token_endpoint_auth_method: 'client_secret_post' });
    expect(web.statusCode).toBe(201);
    expect(web.json()).toMatchObject({ application_type: 'web', client_secret: expect.any(String) });
  });

  it('treats a client that omits application_type (older clients) as native, so its loopback redirect works', async () => {
    const res = await register({ client_name: 'Old CLI', redirect_uris: ['http://localhost:8080/callback'], token_endpoint_auth_method: 'none' });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ application_type: 'native' });
  });

  it('accepts an app’s own scheme for a native client (Cursor, VS Code)', async () => {
    expect((await register({ redirect_uris: ['cursor://anysphere.cursor-retrieval/oauth/callback'], application_type: 'native', token_endpoint_auth_method: 'none' })).statusCode).toBe(201);
  });

  it.each([
    ['a web app with a loopback redirect', { redirect_uris: ['http://127.0.0.1:3000/cb'], application_type: 'web' }],
    ['a web app with plain http', { redirect_uris: ['http://app.example/cb'], application_type: 'web' }],
    ['a web app with a custom scheme', { redirect_uris: ['myapp://cb'], application_type: 'web' }],
    ['a native app with http to another host', { redirect_uris: ['http://app.example/cb'], application_type: 'native' }],
    ['a native app with https to localhost', { redirect_uris: ['https://localhost/cb'], application_type: 'native' }],
    ['a javascript: URI', { redirect_uris: ['javascript:alert(1)'], application_type: 'native' }],
    ['a data: URI', { redirect_uris: ['data:text/html,hi'], application_type: 'native' }],
    ['a fragment', { redirect_uris: ['https://app.example/cb#frag'], application_type: 'web' }],
    ['credentials in the URI', { redirect_uris: ['https://user:pw@app.example/cb'], application_type: 'web' }],
    ['no redirect URI', { redirect_uris: [], application_type: 'web' }],
    ['a relative URI', { redirect_uris: ['/cb'], application_type: 'web' }],
  ])('refuses %s with invalid_redirect_uri or invalid_client_metadata', async (_name, metadata) => {
    const res = await register({ token_endpoint_auth_method: 'none', ...metadata });
    expect(res.statusCode).toBe(400);
    expect(res.headers['cache-control']).toBe('no-store');
    expect((res.json() as { error: string }).error).toMatch(/^invalid_(redirect_uri|client_metadata)$/);
  });

  it('refuses a grant type Cairn does not offer, and an unknown auth method', async () => {
    expect((await register({ redirect_uris: ['https://app.example/cb'], grant_types: ['implicit'], response_types: ['token'] })).statusCode).toBe(400);
    expect((await register({ redirect_uris: ['https://app.example/cb'], token_endpoint_auth_method: 'private_key_jwt' })).statusCode).toBe(400);
  });

  it('keeps the secret of a confidential client only encrypted', async () => {
    const res = await register({ redirect_uris: ['https://app.example/cb'], application_type: 'web', token_endpoint_auth_method: 'client_secret_basic' });
    const { client_id, client_secret } = res.json() as { client_id: string; client_secret: string };
    const row = await t.runtime.storage.db.selectFrom('oauth_store').selectAll().where('model', '=', 'Client').where('id', '=', client_id).executeTakeFirstOrThrow();
    expect(row.payload).not.toContain(client_secret);
    expect(row.secret).toMatch(/^v1\./);
    expect(row.secret).not.toContain(client_secret);
  });

  it('answers CORS preflights, so browser-based clients can register', async () => {
    const res = await t.app.inject({ method: 'OPTIONS', url: '/register', headers: { origin: 'http://localhost:6274', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
    expect(res.statusCode).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers['access-control-allow-headers']).toContain('content-type');
    const created = await register({ redirect_uris: ['http://localhost:6274/oauth/callback'], token_endpoint_auth_method: 'none' });
    expect(created.headers['access-control-allow-origin']).toBe('*');
  });
});

describe('registration rate limit', () => {
  it('allows 20 registrations an hour per address, then 429 temporarily_unavailable with Retry-After and no-store', async () => {
    const address = '192.0.2.77';
    const metadata = { redirect_uris: ['http://127.0.0.1/cb'], token_endpoint_auth_method: 'none' };
    for (let i = 0; i < 20; i++) expect((await register(metadata, address)).statusCode).toBe(201);
    const limited = await register(metadata, address);
    expect(limited.statusCode).toBe(429);
    expect(limited.json()).toMatchObject({ error: 'temporarily_unavailable' });
    expect(limited.headers['cache-control']).toBe('no-store');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // Another address is not affected.
    expect((await register(metadata, '192.0.2.78')).statusCode).toBe(201);
  });
});

describe('redirectUriProblem', () => {
  it('classifies loopback redirects', () => {
    expect(isLoopbackRedirect('http://127.0.0.1:1/x')).toBe(true);
    expect(isLoopbackRedirect('http://[::1]/x')).toBe(true);
    expect(isLoopbackRedirect('https://localhost/x')).toBe(false);
    expect(isLoopbackRedirect('http://127.0.0.1.nip.io/x')).toBe(false);
  });

  it('names the offending URI', () => {
    expect(redirectUriProblem(['https://ok.example/cb', 'http://bad.example/cb'], 'web')).toContain('http://bad.example/cb');
    expect(redirectUriProblem(['https://ok.example/cb'], 'web')).toBeUndefined();
  });
});
