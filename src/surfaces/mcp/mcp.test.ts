import type { AddressInfo } from 'node:net';
import { Client, InsufficientScopeError, ProtocolError, SdkHttpError, StreamableHTTPClientTransport, type CallToolResult, type ClientOptions, type FetchLike } from '@modelcontextprotocol/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Scope } from '../../core/scopes.js';
import { buildTestApp, type TestApp } from '../../testing/build-test-app.js';

// The acceptance point: a stock MCP client (the official SDK client) over a real HTTP server can add,
// search, list, get, update and delete memories with an API key, at every protocol version we serve.

const TOOL_NAMES = ['add_memories', 'search_memory', 'list_memories', 'get_memory', 'update_memory', 'delete_memory', 'delete_all_memories'];

const VERSIONS: { version: string; options: ClientOptions }[] = [
  { version: '2026-07-28', options: { versionNegotiation: { mode: { pin: '2026-07-28' } } } },
  { version: '2025-11-25', options: {} },
  { version: '2025-06-18', options: { supportedProtocolVersions: ['2025-06-18'] } },
];

/** One HTTP exchange as it crossed the wire, for assertions the SDK's typed API hides (status, headers, raw result). */
interface Exchange {
  method: string;
  request: unknown;
  status: number;
  headers: Headers;
  body: string;
}

interface ToolMemory {
  id: string;
  memory: string;
  metadata: Record<string, unknown>;
  state: string;
  app: string;
}

let t: TestApp;
let url: URL;
let userCount = 0;
const open: Client[] = [];

beforeAll(async () => {
  t = await buildTestApp();
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  url = new URL(`http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}/mcp`);
});
afterEach(async () => {
  await Promise.allSettled(open.splice(0).map((c) => c.close()));
});
afterAll(async () => t.close());

/** A fresh user (tests share one server, so each one works in its own workspace) and a key. */
async function newKey(opts: { name?: string; scopes?: Scope[] } = {}): Promise<{ key: string; id: string }> {
  const owner = await t.createUser(`user${++userCount}@example.com`);
  return t.createKey(owner, opts);
}

function recordingFetch(exchanges: Exchange[]): FetchLike {
  return async (input, init) => {
    const res = await fetch(input, init);
    const body = await res.clone().text();
    exchanges.push({ method: init?.method ?? 'GET', request: typeof init?.body === 'string' ? JSON.parse(init.body) : undefined, status: res.status, headers: res.headers, body });
    return res;
  };
}

async function connect(key: string | undefined, options: ClientOptions = {}) {
  const exchanges: Exchange[] = [];
  const transport = new StreamableHTTPClientTransport(url, {
    ...(key ? { requestInit: { headers: { authorization: `Bearer ${key}` } } } : {}),
    fetch: recordingFetch(exchanges),
  });
  const client = new Client({ name: 'cairn-test', version: '1.0.0' }, options);
  open.push(client);
  await client.connect(transport);
  return { client, transport, exchanges };
}

/** The JSON-RPC message in a response body, whether sent as JSON or as one SSE event. */
function rpcMessage(body: string): { result?: Record<string, unknown>; error?: { code: number } } {
  const data = body.trimStart().startsWith('{') ? body : body.split('\n').find((l) => l.startsWith('data: '))!.slice(6);
  return JSON.parse(data) as { result?: Record<string, unknown>; error?: { code: number } };
}

async function call<T = Record<string, unknown>>(client: Client, name: string, args: Record<string, unknown>): Promise<T> {
  const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
  expect(result.isError, `${name}: ${JSON.stringify(result.content)}`).toBeFalsy();
  // Agents read the text; typed clients read structuredContent. Both must carry the same payload.
  const text = (result.content[0] as { type: 'text'; text: string }).text;
  expect(JSON.parse(text)).toEqual(result.structuredContent);
  return result.structuredContent as T;
}

describe.each(VERSIONS)('MCP over Streamable HTTP at $version', ({ version, options }) => {
  it('connects at that version and lists the seven tools with OpenMemory-compatible inputs', async () => {
    const { key } = await newKey();
    const { client, transport } = await connect(key, options);
    expect(transport.protocolVersion).toBe(version);
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual([...TOOL_NAMES].sort());
    const schema = (name: string) => tools.find((tool) => tool.name === name)!.inputSchema as { properties: Record<string, unknown>; required?: string[] };
    expect(schema('add_memories').required).toEqual(['text']);
    expect(schema('search_memory').required).toEqual(['query']);
    for (const tool of tools) expect(tool.description?.length ?? 0).toBeGreaterThan(10);
  });

  it('declares tools without listChanged: the tool set never changes, so no tools/list_changed is ever sent', async () => {
    const { key } = await newKey();
    const { client } = await connect(key, options);
    expect(client.getServerCapabilities()?.tools).toEqual({ listChanged: false });
  });

  it('adds, searches, lists, gets, updates and deletes memories with an API key', async () => {
    const { key } = await newKey({ name: 'claude-desktop' });
    const { client } = await connect(key, options);

    const added = await call<{ created: boolean; memory: ToolMemory }>(client, 'add_memories', { text: 'Prefers green tea in the afternoon', metadata: { source: 'chat' } });
    expect(added).toMatchObject({ created: true, memory: { memory: 'Prefers green tea in the afternoon', metadata: { source: 'chat' }, app: 'claude-desktop', state: 'active' } });
    const id = added.memory.id;
    const again = await call<{ created: boolean; memory: ToolMemory }>(client, 'add_memories', { text: 'Prefers green tea in the afternoon' });
    expect(again).toMatchObject({ created: false, memory: { id } });
    const other = await call<{ memory: ToolMemory }>(client, 'add_memories', { text: 'Works as a structural engineer' });

    const found = await call<{ results: (ToolMemory & { score: number })[] }>(client, 'search_memory', { query: 'what tea do they like?' });
    expect(found.results.map((r) => r.id)).toEqual([id]);
    expect(typeof found.results[0]!.score).toBe('number');

    const listed = await call<{ memories: ToolMemory[]; next_cursor: string | null }>(client, 'list_memories', {});
    expect(listed.memories.map((m) => m.id).sort()).toEqual([id, other.memory.id].sort());
    expect(listed.next_cursor).toBeNull();

    expect(await call(client, 'get_memory', { id })).toMatchObject({ memory: { id, memory: 'Prefers green tea in the afternoon' } });

    const updated = await call<{ memory: ToolMemory }>(client, 'update_memory', { id, text: 'Prefers jasmine tea in the afternoon' });
    expect(updated.memory).toMatchObject({ id, memory: 'Prefers jasmine tea in the afternoon' });
    expect((await call<{ results: ToolMemory[] }>(client, 'search_memory', { query: 'jasmine' })).results.map((r) => r.id)).toEqual([id]);

    expect(await call(client, 'delete_memory', { id })).toEqual({ deleted: id });
    const gone = (await client.callTool({ name: 'get_memory', arguments: { id } })) as CallToolResult;
    expect(gone.isError).toBe(true);
    expect((gone.content[0] as { text: string }).text).toContain('NOT_FOUND');
    expect((await call<{ memories: ToolMemory[] }>(client, 'list_memories', {})).memories.map((m) => m.id)).toEqual([other.memory.id]);

    expect(await call(client, 'delete_all_memories', {})).toEqual({ deleted: 1 });
    expect((await call<{ memories: ToolMemory[] }>(client, 'list_memories', {})).memories).toEqual([]);
    const rest = await t.call('GET', '/api/v1/memories', { key });
    expect((rest.json() as { memories: unknown[] }).memories).toEqual([]);
  });

  it('answers invalid tool input with an isError result or -32602, never an HTTP 5xx', async () => {
    const { key } = await newKey();
    const { client, exchanges } = await connect(key, options);
    const bad: [string, Record<string, unknown>][] = [
      ['add_memories', {}],
      ['add_memories', { text: 5 }],
      ['add_memories', { text: '' }],
      ['search_memory', { query: '' }],
      ['get_memory', { id: 42 }],
      ['list_memories', { limit: 0 }],
      ['update_memory', { id: 'mem_x', state: 'exploded' }],
    ];
    for (const [name, args] of bad) {
      try {
        const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
        expect(result.isError, `${name} ${JSON.stringify(args)}`).toBe(true);
      } catch (err) {
        expect(err, `${name} ${JSON.stringify(args)}`).toBeInstanceOf(ProtocolError);
        expect((err as ProtocolError).code).toBe(-32602);
      }
    }
    const unknown = await client.callTool({ name: 'remember_everything', arguments: {} }).catch((err: unknown) => err);
    expect(unknown).toBeInstanceOf(ProtocolError);
    expect((unknown as ProtocolError).code).toBe(-32602);
    expect(exchanges.filter((e) => e.status >= 500)).toEqual([]);
    expect((await call<{ memories: unknown[] }>(client, 'list_memories', {})).memories).toEqual([]);
  });
});

describe('MCP authentication at HTTP level', () => {
  it.each(VERSIONS)('refuses a $version client without a key: 401 with a Bearer challenge', async ({ options }) => {
    const exchanges: Exchange[] = [];
    const client = new Client({ name: 'cairn-test', version: '1.0.0' }, options);
    open.push(client);
    const failure = await client.connect(new StreamableHTTPClientTransport(url, { fetch: recordingFetch(exchanges) })).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(SdkHttpError);
    expect((failure as SdkHttpError).status).toBe(401);
    expect(exchanges).toHaveLength(1);
    expect(exchanges[0]!.status).toBe(401);
    expect(exchanges[0]!.headers.get('www-authenticate')).toMatch(/^Bearer( |$)/);
  });

  it('refuses a revoked key with 401 and error="invalid_token"', async () => {
    const { key, id } = await newKey();
    expect((await t.call('DELETE', `/api/v1/keys/${id}`, { key })).statusCode).toBe(204);
    const failure = await connect(key).catch((err: unknown) => err);
    expect((failure as SdkHttpError).status).toBe(401);
    const res = await t.app.inject({ method: 'POST', url: '/mcp', headers: mcpHeaders(key), payload: INITIALIZE });
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toContain('error="invalid_token"');
  });

  it('answers add_memories from a key without memories:write with 403 insufficient_scope naming the scope, writing nothing', async () => {
    const { key } = await newKey({ scopes: ['memories:read'] });
    const { client, exchanges } = await connect(key);
    // Reading is within the key's scopes.
    await call(client, 'list_memories', {});
    const failure = await client.callTool({ name: 'add_memories', arguments: { text: 'should not be stored' } }).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(InsufficientScopeError);
    expect((failure as InsufficientScopeError).requiredScope).toBe('memories:write');
    const denied = exchanges.find((e) => e.status === 403)!;
    expect(denied).toBeDefined();
    const challenge = denied.headers.get('www-authenticate')!;
    expect(challenge).toMatch(/^Bearer /);
    expect(challenge).toContain('error="insufficient_scope"');
    expect(challenge).toContain('scope="memories:write"');
    expect((await t.call('GET', '/api/v1/memories', { key })).json()).toEqual({ memories: [], nextCursor: null });
  });
});

const INITIALIZE = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };

function mcpHeaders(key: string, extra: Record<string, string> = {}): Record<string, string> {
  return { authorization: `Bearer ${key}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', host: `127.0.0.1:${url.port}`, ...extra };
}

describe('MCP Host and Origin validation (DNS rebinding)', () => {
  it('refuses a forged Host with 403', async () => {
    const { key } = await newKey();
    const res = await t.app.inject({ method: 'POST', url: '/mcp', headers: mcpHeaders(key, { host: 'evil.example' }), payload: INITIALIZE });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ jsonrpc: '2.0', error: { data: { code: 'FORBIDDEN_ORIGIN' } } });
  });

  it('refuses a foreign Origin with 403, and an allowed hostname on another port too', async () => {
    const { key } = await newKey();
    for (const origin of ['https://evil.example', 'http://localhost:1']) {
      const res = await t.app.inject({ method: 'POST', url: '/mcp', headers: mcpHeaders(key, { origin }), payload: INITIALIZE });
      expect(res.statusCode, origin).toBe(403);
    }
  });

  it('accepts every configured loopback Origin and requests without an Origin', async () => {
    const { key } = await newKey();
    const allowed = t.runtime.config.http.allowedOrigins;
    expect(allowed).toContain('http://localhost:8787');
    for (const origin of [...allowed, undefined]) {
      const res = await t.app.inject({ method: 'POST', url: '/mcp', headers: mcpHeaders(key, origin ? { origin } : {}), payload: INITIALIZE });
      expect(res.statusCode, String(origin)).toBe(200);
      expect(rpcMessage(res.body).result).toMatchObject({ protocolVersion: '2025-06-18' });
    }
  });

  it('has no protocol sessions to hijack: no Mcp-Session-Id is minted, and one presented never replaces the credential', async () => {
    // Session-to-principal binding (checklist §10.5) holds trivially: /mcp is stateless, so every request
    // is authenticated on its own and nothing is keyed by a session id.
    const ada = await newKey();
    const bob = await newKey();
    const init = await t.app.inject({ method: 'POST', url: '/mcp', headers: mcpHeaders(ada.key), payload: INITIALIZE });
    expect(init.statusCode).toBe(200);
    expect(init.headers['mcp-session-id']).toBeUndefined();

    const sessionId = 'f0e1d2c3-b4a5-4697-8899-aabbccddeeff';
    const { authorization: _, ...noCredential } = mcpHeaders(ada.key, { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' });
    const list = { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'list_memories', arguments: {} } };
    const anonymous = await t.app.inject({ method: 'POST', url: '/mcp', headers: noCredential, payload: list });
    expect(anonymous.statusCode).toBe(401);

    // The same session id with Bob's key is simply Bob: he sees his own (empty) memory, not Ada's.
    const adaWrite = { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'add_memories', arguments: { text: 'Ada keeps a session id secret.' } } };
    const written = await t.app.inject({ method: 'POST', url: '/mcp', headers: mcpHeaders(ada.key, { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' }), payload: adaWrite });
    expect(written.statusCode).toBe(200);
    const asAda = await t.app.inject({ method: 'POST', url: '/mcp', headers: mcpHeaders(ada.key, { 'mcp-protocol-version': '2025-06-18' }), payload: list });
    expect(asAda.body).toContain('Ada keeps a session id secret');
    const asBob = await t.app.inject({ method: 'POST', url: '/mcp', headers: mcpHeaders(bob.key, { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' }), payload: list });
    expect(asBob.statusCode).toBe(200);
    expect(asBob.body).not.toContain('Ada keeps a session id secret');
    expect(asBob.headers['mcp-session-id']).toBeUndefined();
  });

  it('answers GET and DELETE on /mcp with 405', async () => {
    const { key } = await newKey();
    // Stateless: there is no server-to-client stream to open (GET) and no session to end (DELETE).
    for (const method of ['GET', 'DELETE'] as const) {
      const { 'content-type': _, ...headers } = mcpHeaders(key, { accept: 'text/event-stream' });
      const res = await t.app.inject({ method, url: '/mcp', headers });
      expect(res.statusCode, method).toBe(405);
      expect(res.headers.allow, method).toBe('POST');
    }
  });
});

describe('MCP results are private to the caller', () => {
  it('marks 2026-07-28 tools/list results cacheScope private', async () => {
    const { key } = await newKey();
    const { client, exchanges } = await connect(key, VERSIONS[0]!.options);
    await client.listTools();
    const list = exchanges.find((e) => (e.request as { method?: string } | undefined)?.method === 'tools/list')!;
    expect(list.status).toBe(200);
    expect(rpcMessage(list.body).result).toMatchObject({ cacheScope: 'private' });
  });

  it('two users connected at once each see only their own memories', async () => {
    const ada = await connect((await newKey()).key, VERSIONS[0]!.options);
    const bob = await connect((await newKey()).key);
    const adaMemory = await call<{ memory: ToolMemory }>(ada.client, 'add_memories', { text: 'Ada secret: the vault code is 1234' });
    const bobMemory = await call<{ memory: ToolMemory }>(bob.client, 'add_memories', { text: 'Bob secret: the vault code is 9876' });

    const [adaList, bobList] = await Promise.all([call<{ memories: ToolMemory[] }>(ada.client, 'list_memories', {}), call<{ memories: ToolMemory[] }>(bob.client, 'list_memories', {})]);
    expect(adaList.memories.map((m) => m.id)).toEqual([adaMemory.memory.id]);
    expect(bobList.memories.map((m) => m.id)).toEqual([bobMemory.memory.id]);
    expect((await call<{ results: ToolMemory[] }>(bob.client, 'search_memory', { query: 'vault code secret' })).results.map((r) => r.id)).toEqual([bobMemory.memory.id]);

    const crossRead = (await bob.client.callTool({ name: 'get_memory', arguments: { id: adaMemory.memory.id } })) as CallToolResult;
    expect(crossRead.isError).toBe(true);
    expect(JSON.stringify(crossRead.content)).not.toContain('1234');
  });

  it('a memory added over MCP shows the key\'s name as its app over REST', async () => {
    const { key } = await newKey({ name: 'cursor-ide' });
    const { client } = await connect(key);
    const added = await call<{ memory: ToolMemory }>(client, 'add_memories', { text: 'Uses tabs, not spaces' });
    const res = await t.call('GET', `/api/v1/memories/${added.memory.id}`, { key });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ memory: { content: 'Uses tabs, not spaces', app: { name: 'cursor-ide' } } });
  });
});
