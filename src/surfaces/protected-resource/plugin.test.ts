import { checkResourceAllowed, discoverOAuthProtectedResourceMetadata, extractWWWAuthenticateParams, type FetchLike } from '@modelcontextprotocol/client';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../testing/build-test-app.js';

// RFC 9728 protected-resource metadata for /mcp, at both well-known locations, as the official SDK client
// discovers it.

const PUBLIC_URL = 'https://cairn.example.com';
const PATHS = ['/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-protected-resource'];

/** `fetch` answered by the app in process: the SDK's discovery code runs unchanged against it. */
function injectFetch(app: FastifyInstance): FetchLike {
  return async (input, init) => {
    const url = new URL(String(input instanceof Request ? input.url : input));
    const headers: Record<string, string> = { host: url.host };
    new Headers(init?.headers).forEach((value, key) => void (headers[key] = value));
    const res = await app.inject({ method: (init?.method ?? 'GET') as 'GET', url: url.pathname + url.search, headers });
    const out = new Headers();
    for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) out.set(k, String(v));
    return new Response(res.statusCode === 204 ? null : res.body, { status: res.statusCode, headers: out });
  };
}

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({ env: { CAIRN_PUBLIC_URL: PUBLIC_URL } });
});
afterAll(async () => t.close());

describe('protected-resource metadata (RFC 9728)', () => {
  it('serves the same document at the path-aware and the root well-known URL, without a credential', async () => {
    const [pathAware, root] = await Promise.all(PATHS.map((p) => t.call('GET', p)));
    for (const res of [pathAware!, root!]) {
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
    }
    expect(pathAware!.body).toBe(root!.body);
    expect(pathAware!.json()).toEqual({
      resource: `${PUBLIC_URL}/mcp`,
      authorization_servers: [PUBLIC_URL],
      scopes_supported: ['memories:read', 'memories:write', 'memories:delete'],
      bearer_methods_supported: ['header'],
      resource_name: 'Cairn memory',
      resource_documentation: `${PUBLIC_URL}/api/v1/openapi.json`,
    });
  });

  it('names the issuer byte for byte as configured, never offline_access or admin', async () => {
    const doc = (await t.call('GET', PATHS[0]!)).json() as { authorization_servers: string[]; scopes_supported: string[] };
    expect(doc.authorization_servers).toEqual([t.runtime.config.http.publicUrl]);
    expect(doc.scopes_supported).not.toContain('offline_access');
    expect(doc.scopes_supported).not.toContain('admin');
  });

  it('is readable from any origin (browser clients discover before they hold a credential), preflight included', async () => {
    for (const path of PATHS) {
      const res = await t.call('GET', path, { headers: { origin: 'https://inspector.example' } });
      expect(res.headers['access-control-allow-origin']).toBe('*');
      const preflight = await t.app.inject({
        method: 'OPTIONS',
        url: path,
        headers: { origin: 'https://inspector.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'mcp-protocol-version' },
      });
      expect(preflight.statusCode).toBe(204);
      expect(preflight.headers['access-control-allow-origin']).toBe('*');
      expect(String(preflight.headers['access-control-allow-headers'])).toContain('mcp-protocol-version');
    }
  });

  it('ignores credentials: a bad bearer token still gets the document', async () => {
    const res = await t.call('GET', PATHS[0]!, { key: 'not.a.token' });
    expect(res.statusCode).toBe(200);
  });
});

describe('discovery by the official SDK client', () => {
  it('follows the 401 challenge from /mcp to the metadata, whose resource is the server URL it connected to', async () => {
    const fetchFn = injectFetch(t.app);
    const serverUrl = `${PUBLIC_URL}/mcp`;
    const unauthorized = await fetchFn(serverUrl, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{}' });
    expect(unauthorized.status).toBe(401);
    const { resourceMetadataUrl, scope } = extractWWWAuthenticateParams(unauthorized);
    expect(resourceMetadataUrl?.href).toBe(`${PUBLIC_URL}/.well-known/oauth-protected-resource/mcp`);
    expect(scope).toBe('memories:read memories:write memories:delete');

    const metadata = await discoverOAuthProtectedResourceMetadata(serverUrl, { resourceMetadataUrl: resourceMetadataUrl! }, fetchFn);
    // RFC 9728 §3.3: the client refuses metadata whose resource does not match the server it asked about.
    expect(checkResourceAllowed({ requestedResource: serverUrl, configuredResource: metadata.resource })).toBe(true);
    expect(metadata.authorization_servers).toEqual([PUBLIC_URL]);
  });

  it('finds the same metadata without a challenge, by the well-known probing order', async () => {
    const metadata = await discoverOAuthProtectedResourceMetadata(`${PUBLIC_URL}/mcp`, {}, injectFetch(t.app));
    expect(metadata.resource).toBe(`${PUBLIC_URL}/mcp`);
  });
});
