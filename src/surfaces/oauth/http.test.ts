import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../testing/build-test-app.js';
import { basicAuth, jwtClaims } from '../../testing/oauth-flow.js';

// The provider reads raw request bodies itself: prove it over real sockets, not only through inject().
let t: TestApp;
let base: string;

beforeAll(async () => {
  t = await buildTestApp();
  t.clock.set(Date.now());
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
});
afterAll(async () => t.close());

it('serves metadata, registration and the token endpoint over HTTP', async () => {
  const meta = await fetch(`${base}/.well-known/oauth-authorization-server`);
  expect(meta.status).toBe(200);
  expect(((await meta.json()) as { issuer: string }).issuer).toBe(t.runtime.config.http.publicUrl);

  const reg = await fetch(`${base}/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_name: 'over http', redirect_uris: ['http://127.0.0.1:7/cb'], token_endpoint_auth_method: 'none' }),
  });
  expect(reg.status).toBe(201);
  expect(reg.headers.get('cache-control')).toBe('no-store');

  const owner = await t.createUser('ana@example.com');
  const cc = await t.runtime.services.oauth.clients.create({ userId: owner.user.id, workspaceId: owner.workspace.id }, { name: 'http probe', scopes: ['memories:read'] }, { kind: 'cli', credentialId: null });
  const token = await fetch(`${base}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(cc.clientId, cc.clientSecret) },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'memories:read', resource: `${t.runtime.config.http.publicUrl}/mcp` }),
  });
  expect(token.status).toBe(200);
  expect(token.headers.get('cache-control')).toBe('no-store');
  const { access_token } = (await token.json()) as { access_token: string };
  expect(jwtClaims(access_token).cairn_cc).toBe(cc.clientId);
  const me = await fetch(`${base}/api/v1/me`, { headers: { authorization: `Bearer ${access_token}` } });
  expect(me.status).toBe(200);
});
