import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SigningKeyStore } from '../../oauth/signing-keys.js';
import { buildTestApp, TEST_SECRET, type TestApp } from '../../testing/build-test-app.js';
import { basicAuth, jwtHeader, tokenRequest, type TokenResponse } from '../../testing/oauth-flow.js';

let t: TestApp;
let client: { clientId: string; clientSecret: string };
let resource: string;

beforeAll(async () => {
  t = await buildTestApp();
  t.clock.set(Date.now());
  resource = `${t.runtime.config.http.publicUrl}/mcp`;
  const owner = await t.createUser('ana@example.com');
  client = await t.runtime.services.oauth.clients.create({ userId: owner.user.id, workspaceId: owner.workspace.id }, { name: 'rotation probe', scopes: ['memories:read'] }, { kind: 'cli', credentialId: null });
});
afterAll(async () => t.close());

async function issue(): Promise<string> {
  const res = await tokenRequest(t.app, { grant_type: 'client_credentials', scope: 'memories:read', resource }, { authorization: basicAuth(client.clientId, client.clientSecret) });
  expect(res.statusCode).toBe(200);
  return (res.json() as TokenResponse).access_token;
}
const works = async (token: string) => (await t.call('GET', '/api/v1/me', { key: token })).statusCode;
const publishedKids = async () => ((await t.app.inject({ method: 'GET', url: '/jwks' })).json() as { keys: { kid: string }[] }).keys.map((k) => k.kid);

describe('signing-key rotation', () => {
  it('a running server picks up a rotation made elsewhere (the CLI, another instance) and old tokens keep verifying', async () => {
    const before = await issue();
    const oldKid = String(jwtHeader(before).kid);

    // Another process on the same database: `cairn keys rotate-signing`, or a second instance.
    const elsewhere = new SigningKeyStore(t.runtime.storage.db, TEST_SECRET, t.clock);
    const { kid: newKid, retired } = await elsewhere.rotate();
    expect(retired).toEqual([oldKid]);
    expect(await publishedKids()).toEqual([newKid, oldKid]);

    // Within the check interval the server still signs with the key it has; then it switches.
    expect(jwtHeader(await issue()).kid).toBe(oldKid);
    t.clock.advance(30_000);
    const after = await issue();
    expect(jwtHeader(after).kid).toBe(newKid);

    // Both verify at the resource server: the retired key is still published.
    expect(await works(before)).toBe(200);
    expect(await works(after)).toBe(200);

    // Past the verification window the retired key is gone from the JWKS.
    t.clock.advance(15 * 60_000);
    expect(await publishedKids()).toEqual([newKid]);
    expect((await t.runtime.services.oauth.keys.list()).map((k) => [k.kid, k.status])).toEqual([
      [newKid, 'signing'],
      [oldKid, 'expired'],
    ]);
  });
});
