import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../testing/build-test-app.js';

let t: TestApp;
let publicUrl: string;

beforeAll(async () => {
  // A public URL behind a proxy: every document must name it, whatever the request's Host says.
  t = await buildTestApp({ env: { CAIRN_PUBLIC_URL: 'https://memory.example.com' } });
  publicUrl = t.runtime.config.http.publicUrl;
});
afterAll(async () => t.close());

const get = (url: string, headers: Record<string, string> = {}) => t.app.inject({ method: 'GET', url, headers });

describe('authorization server metadata (RFC 8414, OpenID Connect Discovery)', () => {
  it('serves one document at both well-known paths, with the issuer byte for byte the public URL', async () => {
    const oauth = await get('/.well-known/oauth-authorization-server');
    const oidc = await get('/.well-known/openid-configuration');
    for (const res of [oauth, oidc]) {
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
    }
    expect(oauth.body).toBe(oidc.body);
    const doc = oauth.json() as Record<string, unknown>;
    expect(doc.issuer).toBe('https://memory.example.com');
    expect(doc.issuer).toBe(publicUrl);
  });

  it('lists what MCP clients check, at the origin (so 2025-03-26 clients find /authorize, /token, /register too)', async () => {
    const doc = (await get('/.well-known/oauth-authorization-server')).json() as Record<string, unknown>;
    expect(doc).toMatchObject({
      authorization_endpoint: `${publicUrl}/authorize`,
      token_endpoint: `${publicUrl}/token`,
      registration_endpoint: `${publicUrl}/register`,
      jwks_uri: `${publicUrl}/jwks`,
      revocation_endpoint: `${publicUrl}/revoke`,
      introspection_endpoint: `${publicUrl}/introspect`,
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
      client_id_metadata_document_supported: true,
    });
    expect(doc.token_endpoint_auth_methods_supported).toEqual(expect.arrayContaining(['none', 'client_secret_basic', 'client_secret_post']));
    expect(doc.grant_types_supported).toEqual(expect.arrayContaining(['authorization_code', 'refresh_token', 'client_credentials']));
    expect(doc.grant_types_supported).not.toContain('implicit');
    expect(doc.scopes_supported).toEqual(expect.arrayContaining(['memories:read', 'memories:write', 'memories:delete', 'offline_access']));
    expect(doc.scopes_supported).not.toContain('admin');
    // Features Cairn does not offer are not advertised.
    for (const absent of ['userinfo_endpoint', 'end_session_endpoint', 'pushed_authorization_request_endpoint', 'dpop_signing_alg_values_supported']) expect(doc).not.toHaveProperty(absent);
  });

  it('ignores the Host and X-Forwarded-* headers a request brings', async () => {
    const res = await get('/.well-known/oauth-authorization-server', { host: 'evil.example', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'http' });
    expect(res.body).not.toContain('evil.example');
    expect((res.json() as { token_endpoint: string }).token_endpoint).toBe(`${publicUrl}/token`);
  });

  it('allows any origin to read it (browser-based clients such as the MCP Inspector)', async () => {
    const res = await get('/.well-known/oauth-authorization-server', { origin: 'http://localhost:6274' });
    expect(res.headers['access-control-allow-origin']).toBe('http://localhost:6274');
    const preflight = await t.app.inject({ method: 'OPTIONS', url: '/.well-known/openid-configuration', headers: { origin: 'http://localhost:6274', 'access-control-request-method': 'GET' } });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers['access-control-allow-methods']).toContain('GET');
  });
});

describe('JWKS', () => {
  it('publishes the ES256 public signing key, and never a private part', async () => {
    const res = await get('/jwks');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/jwk-set\+json/);
    const { keys } = res.json() as { keys: Record<string, unknown>[] };
    expect(keys.length).toBeGreaterThanOrEqual(1);
    for (const key of keys) {
      expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig', kid: expect.any(String) });
      expect(key).not.toHaveProperty('d');
    }
  });
});
