import { Client, ClientCredentialsProvider, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startLiveServer, type LiveServer } from '../../testing/live-server.js';

/**
 * Issue 3's third acceptance test: a machine client with client credentials. A person creates a
 * confidential client for their workspace over REST (secret shown once); the official SDK client's
 * ClientCredentialsProvider gets tokens from /token with nothing but the /mcp URL, id and secret, and its
 * calls reach that workspace only, as that client's app. Deleting the client ends its tokens at once.
 */

let server: LiveServer;
let adminKey: string;

beforeAll(async () => {
  server = await startLiveServer();
  const person = await server.createPerson('bo@example.com', 'correct horse battery staple');
  ({ key: adminKey } = await server.runtime.services.apiKeys.create(
    { userId: person.user.id, workspaceId: person.workspace.id },
    { name: 'admin', scopes: ['admin'], expiresAt: null },
    { kind: 'cli', credentialId: null },
  ));
}, 60_000);

afterAll(async () => {
  await server?.close();
});

async function rest(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${server.url}/api${path}`, {
    method,
    headers: { authorization: `Bearer ${adminKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

function textOf(result: unknown): string {
  const content = (result as { content?: { type: string; text?: string }[] }).content ?? [];
  return content.map((c) => c.text ?? '').join('\n');
}

describe('the MCP SDK client with client_credentials', () => {
  test('gets a workspace-bound token, calls tools, and is cut off when the client is deleted', async () => {
    const created = await rest('POST', '/v1/oauth-clients', { name: 'nightly-indexer', scopes: ['memories:read', 'memories:write'] });
    expect(created.status).toBe(201);
    expect(created.headers.get('cache-control')).toContain('no-store');
    const { clientId, clientSecret } = (await created.json()) as { clientId: string; clientSecret: string };

    const provider = new ClientCredentialsProvider({ clientId, clientSecret, expectedIssuer: server.url, scope: 'memories:read memories:write' });
    const client = new Client({ name: 'nightly-indexer', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(server.mcpUrl), { authProvider: provider }));

    const token = provider.tokens()?.access_token;
    expect(token).toBeTruthy();
    const claims = JSON.parse(Buffer.from(token!.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    expect(claims.aud).toBe(server.mcpUrl);
    expect(claims.iss).toBe(server.url);
    expect(claims.cairn_cc).toBe(clientId);

    const added = await client.callTool({ name: 'add_memories', arguments: { text: 'The nightly index finished in 42 minutes.' } });
    expect(added.isError).toBeFalsy();
    expect(textOf(await client.callTool({ name: 'search_memory', arguments: { query: 'nightly index' } }))).toContain('42 minutes');

    // The person sees the memory in their workspace, written by the client's app.
    const listed = await rest('GET', '/v1/memories');
    const body = (await listed.json()) as { memories: { content: string; app: { name: string } }[] };
    const memory = body.memories.find((m) => m.content.includes('42 minutes'));
    expect(memory?.app.name).toContain('nightly-indexer');

    // No delete scope was granted: the tool is refused with 403 naming the scope.
    const del = await fetch(server.mcpUrl, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'delete_all_memories', arguments: {} } }),
    });
    expect(del.status).toBe(403);
    expect(del.headers.get('www-authenticate')).toContain('insufficient_scope');
    expect(del.headers.get('www-authenticate')).toContain('memories:delete');

    const removed = await rest('DELETE', `/v1/oauth-clients/${clientId}`);
    expect(removed.status).toBe(204);
    const after = await fetch(server.mcpUrl, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 8, method: 'tools/list' }),
    });
    expect(after.status).toBe(401);
    // And the deleted client cannot get another token.
    const again = await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'memories:read', resource: server.mcpUrl }),
    });
    expect(again.status).toBe(401);
    expect(((await again.json()) as { error: string }).error).toBe('invalid_client');
    await client.close();
  });
});
