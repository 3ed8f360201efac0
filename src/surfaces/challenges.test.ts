import type { AddressInfo } from 'node:net';
import { Client, InsufficientScopeError, SdkHttpError, StreamableHTTPClientTransport, type CallToolResult } from '@modelcontextprotocol/client';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { accessTokenClaims, buildOAuthTestApp, recordGrant, revokeGrant, signWithCurrentKey, type AuthorizationStores, type TokenSubject } from '../testing/access-tokens.js';
import type { TestApp } from '../testing/build-test-app.js';
import { mcpHeaders, mcpMessage } from '../testing/surface-auth.suite.js';

// The shapes of the 401 and 403 challenges on /api and /mcp (RFC 6750 §3, RFC 9728 §5.1, MCP 2025-11-25
// and 2026-07-28 scope selection), and OAuth access tokens end to end through both surfaces, verified
// against the authorization server's real signing keys and grants.

let t: TestApp;
let stores: AuthorizationStores;
let base: string;
let people = 0;
const open: Client[] = [];

beforeAll(async () => {
  ({ t, stores } = await buildOAuthTestApp());
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  await Promise.allSettled(open.splice(0).map((c) => c.close()));
  t.faults.up();
});
afterAll(async () => t.close());

const METADATA = 'http://127.0.0.1:8787/.well-known/oauth-protected-resource/mcp';
const BASELINE = `Bearer resource_metadata="${METADATA}", scope="memories:read memories:write memories:delete"`;

/** A person who consented to "claude.ai" with `scope`: the grant is recorded as the consent page records it. */
async function subject(scope: string): Promise<TokenSubject> {
  const { user, workspace } = await t.createUser(`person${++people}@example.com`);
  const app = await t.runtime.services.apps.ensure(workspace.id, 'claude.ai', t.clock.now());
  return recordGrant(stores, { userId: user.id, workspaceId: workspace.id, appId: app.id }, scope.split(' '));
}

async function token(scope = 'memories:read memories:write memories:delete', overrides: Record<string, unknown> = {}): Promise<{ token: string; subject: TokenSubject }> {
  const s = await subject(scope);
  return { token: await signWithCurrentKey(stores.keys, accessTokenClaims(t.runtime.config.http.publicUrl, s, t.clock.now(), 3600, overrides)), subject: s };
}

const mcpCall = (headers: Record<string, string>, body: unknown) =>
  t.app.inject({ method: 'POST', url: '/mcp', headers: { ...mcpHeaders('2025-06-18', 'tools/call'), ...headers }, payload: body as object });
const toolCall = (name: string, args: Record<string, unknown>) => mcpMessage('2025-06-18', 'tools/call', { name, arguments: args });
const challengeOf = (res: LightMyRequestResponse) => String(res.headers['www-authenticate']);

describe('401 challenges on /api and /mcp', () => {
  it('without a credential: where the metadata is and which scopes to ask for, no error code (RFC 6750 §3.1)', async () => {
    const rest = await t.call('GET', '/api/v1/memories');
    const mcp = await mcpCall({}, toolCall('list_memories', {}));
    for (const res of [rest, mcp]) {
      expect(res.statusCode).toBe(401);
      expect(challengeOf(res)).toBe(BASELINE);
      expect(res.headers['cache-control']).toBe('no-store');
    }
  });

  it('with a bad access token: error="invalid_token" and a description that says what is wrong', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ aud: 'https://elsewhere.example/mcp' }, 'The access token was issued for another resource.'],
      [{ exp: Math.floor(t.clock.now() / 1000) - 60 }, 'The access token has expired.'],
      [{ iss: 'https://other-issuer.example' }, 'The access token was issued by another authorization server.'],
    ];
    for (const [overrides, description] of cases) {
      const { token: bad } = await token('memories:read', overrides);
      for (const res of [await t.call('GET', '/api/v1/memories', { key: bad }), await mcpCall({ authorization: `Bearer ${bad}` }, toolCall('list_memories', {}))]) {
        expect(res.statusCode).toBe(401);
        expect(challengeOf(res)).toBe(`${BASELINE}, error="invalid_token", error_description="${description}"`);
      }
    }
  });

  it('with a bad API key: the same challenge, so an OAuth client can start discovery from it too', async () => {
    const res = await t.call('GET', '/api/v1/me', { key: 'cairn_sk_000000000000000000000000000000000000' });
    expect(res.statusCode).toBe(401);
    expect(challengeOf(res)).toMatch(new RegExp(`^${BASELINE.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}, error="invalid_token", error_description="[^"]+"$`));
  });

  it('refuses an access token in the query string even beside a valid header', async () => {
    const { token: good } = await token();
    const res = await t.call('GET', `/api/v1/memories?access_token=${good}`, { key: good });
    expect(res.statusCode).toBe(401);
    expect(challengeOf(res)).toContain('error_description="Credentials are not accepted in the URL; send an Authorization: Bearer header."');
  });
});

describe('choosing the way in by the shape of the credential', () => {
  const me = (headers: Record<string, string>) => t.app.inject({ method: 'GET', url: '/api/v1/me', headers });

  it('sends a cairn_sk_ bearer value or X-API-Key to the API-key verifier, a compact JWS to the token verifier', async () => {
    const owner = await t.createUser(`ways${++people}@example.com`);
    const { key } = await t.createKey(owner, { scopes: ['memories:read'] });
    const { token: good } = await token('memories:read');
    expect(((await me({ authorization: `Bearer ${key}` })).json() as { credential: { kind: string } }).credential.kind).toBe('api_key');
    expect(((await me({ 'x-api-key': key })).json() as { credential: { kind: string } }).credential.kind).toBe('api_key');
    expect(((await me({ authorization: `Bearer ${key}`, 'x-api-key': key })).json() as { credential: { kind: string } }).credential.kind).toBe('api_key');
    expect(((await me({ authorization: `Bearer ${good}` })).json() as { credential: { kind: string } }).credential.kind).toBe('oauth_access_token');
    // An empty X-API-Key is no credential, as it always was: the token alone decides.
    expect((await me({ authorization: `Bearer ${good}`, 'x-api-key': '' })).statusCode).toBe(200);
  });

  it('refuses what no way recognises with invalid_token, and no credential at all without an error code', async () => {
    for (const authorization of ['Bearer not-a-credential', 'Bearer a.b', 'Basic YWRhOnNlY3JldA==', 'Bearer']) {
      const res = await me({ authorization });
      expect(res.statusCode, authorization).toBe(401);
      expect(challengeOf(res), authorization).toContain('error="invalid_token"');
    }
    const noCredential: Record<string, string>[] = [{}, { 'x-api-key': '' }, { cookie: 'cairn.session_token=x' }];
    for (const headers of noCredential) {
      const res = await me(headers);
      expect(res.statusCode).toBe(401);
      expect(challengeOf(res)).toBe(BASELINE);
    }
  });
});

describe('403 insufficient_scope on /api and /mcp', () => {
  it('names every scope the operation needs, in one challenge, with the metadata URL', async () => {
    const { token: readOnly } = await token('memories:read');
    const rest = await t.call('POST', '/api/v1/memories', { key: readOnly, body: { content: 'no' } });
    expect(rest.statusCode).toBe(403);
    expect(challengeOf(rest)).toBe(
      `Bearer error="insufficient_scope", scope="memories:write", resource_metadata="${METADATA}", error_description="This operation requires the scope memories:write."`,
    );
    const mcp = await mcpCall({ authorization: `Bearer ${readOnly}` }, toolCall('delete_all_memories', {}));
    expect(mcp.statusCode).toBe(403);
    expect(challengeOf(mcp)).toBe(
      `Bearer error="insufficient_scope", scope="memories:delete", resource_metadata="${METADATA}", error_description="This operation requires the scope memories:delete."`,
    );
  });

  it('asks for admin on key management, which no OAuth token can get, even one claiming it', async () => {
    const { token: claimsAdmin } = await token('admin memories:read');
    const res = await t.call('GET', '/api/v1/keys', { key: claimsAdmin });
    expect(res.statusCode).toBe(403);
    expect(challengeOf(res)).toContain('error="insufficient_scope", scope="admin"');
  });
});

describe('OAuth access tokens with the official SDK client', () => {
  async function connect(bearer: string): Promise<Client> {
    const client = new Client({ name: 'oauth-rs-test', version: '1.0.0' });
    open.push(client);
    await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp`), { requestInit: { headers: { authorization: `Bearer ${bearer}` } } }));
    return client;
  }

  it('adds and finds a memory with a token; REST /me names the grant, and the memory records the token app', async () => {
    const { token: good, subject: s } = await token();
    const client = await connect(good);
    const added = (await client.callTool({ name: 'add_memories', arguments: { text: 'Ana keeps her notes in Obsidian.' } })) as CallToolResult;
    expect(added.isError ?? false).toBe(false);
    const found = (await client.callTool({ name: 'search_memory', arguments: { query: 'Obsidian' } })) as CallToolResult;
    expect(JSON.stringify(found.structuredContent)).toContain('Obsidian');

    const me = (await t.call('GET', '/api/v1/me', { key: good })).json() as { credential: unknown; app: { id: string }; scopes: string[] };
    expect(me.credential).toEqual({ kind: 'oauth_access_token', id: s.grantId });
    expect(me.app.id).toBe(s.appId);
    expect(me.scopes).toEqual(['memories:delete', 'memories:read', 'memories:write']);
    const listed = (await t.call('GET', '/api/v1/memories', { key: good })).json() as { memories: { app: { id: string; name: string } }[] };
    expect(listed.memories.map((m) => m.app)).toEqual([{ id: s.appId, name: 'claude.ai' }]);
  });

  it('surfaces a 403 as InsufficientScopeError carrying the scope and the metadata URL', async () => {
    const { token: readOnly } = await token('memories:read');
    const client = await connect(readOnly);
    const failure = await client.callTool({ name: 'add_memories', arguments: { text: 'should not be stored' } }).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(InsufficientScopeError);
    expect((failure as InsufficientScopeError).requiredScope).toBe('memories:write');
    expect((failure as InsufficientScopeError).resourceMetadataUrl?.href).toBe(METADATA);
  });

  it('ends a cached token at once when its grant is revoked on this instance ("disconnect")', async () => {
    const { token: good, subject: s } = await token();
    expect((await t.call('GET', '/api/v1/me', { key: good })).statusCode).toBe(200);
    expect((await t.call('GET', '/api/v1/me', { key: good })).statusCode).toBe(200);
    await revokeGrant(stores, s);
    const res = await t.call('GET', '/api/v1/me', { key: good });
    expect(res.statusCode).toBe(401);
    expect(challengeOf(res)).toContain('error_description="The access token has been revoked."');
    const failure = await connect(good).catch((err: unknown) => err);
    expect((failure as SdkHttpError).status).toBe(401);
  });
});

describe('fail closed', () => {
  it('answers 503 with Retry-After, never access, when the database is down for a token not yet verified', async () => {
    const { token: good } = await token();
    t.faults.down();
    for (const res of [await t.call('GET', '/api/v1/memories', { key: good }), await mcpCall({ authorization: `Bearer ${good}` }, toolCall('list_memories', {}))]) {
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBe('5');
    }
  });

  it('answers 503 for a cached token once its grant is due for a re-check and cannot be read', async () => {
    const { token: good } = await token();
    expect((await t.call('GET', '/api/v1/me', { key: good })).statusCode).toBe(200);
    t.faults.down();
    // tools/list reads no memories: what it answers is the authenticator's doing alone.
    const list = () => t.app.inject({ method: 'POST', url: '/mcp', headers: { ...mcpHeaders('2025-06-18', 'tools/list'), authorization: `Bearer ${good}` }, payload: mcpMessage('2025-06-18', 'tools/list') });
    // Within the re-check interval a verified token costs no store access (like an API key)...
    expect((await list()).statusCode).toBe(200);
    t.clock.advance(t.runtime.config.auth.cacheTtlMs);
    // ...after it, the grant must be read again, and an unreadable store is never an allow.
    const res = await list();
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
  });
});
