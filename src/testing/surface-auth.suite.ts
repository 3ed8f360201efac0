import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey } from '../auth/api-keys/api-key.js';
import { SCOPES, type Scope } from '../core/scopes.js';
import type { User, Workspace } from '../core/users/user.js';
import {
  accessTokenClaims,
  buildOAuthTestApp,
  createMachineClient,
  deleteMachineClient,
  generateSigningKey,
  recordGrant,
  revokeGrant,
  signToken,
  signWithCurrentKey,
  type AuthorizationStores,
  type TokenSubject,
} from './access-tokens.js';
import { ALL_SCOPES, type RegisteredRoute, type TestApp } from './build-test-app.js';

/*
 * The route × credential matrix: every route of the REST and MCP surfaces against every kind of credential,
 * each cell pinning one status. Rows (routes) and columns (credential kinds) are separate lists, so a new
 * credential kind (session cookies, OAuth access tokens) is one more entry in a credential list, with its
 * own expected outcome per route, and no existing row changes.
 */

// ---------------------------------------------------------------------------------------------------------
// Rows: the routes
// ---------------------------------------------------------------------------------------------------------

/** The wire format a route answers in; it decides how an outcome is read off the response. */
export type Wire = 'rest' | 'mcp' | 'dashboard';

/** The two MCP protocol eras Cairn serves on one endpoint. */
export type McpEra = '2025-06-18' | '2026-07-28';
export const MCP_ERAS: readonly McpEra[] = ['2025-06-18', '2026-07-28'];

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PATCH' | 'DELETE';

export interface RouteCase {
  /** Shown in test names: `PATCH /api/v1/memories/:id`, `POST /mcp tools/call get_memory [2026-07-28]`. */
  readonly name: string;
  readonly wire: Wire;
  readonly method: HttpMethod;
  /**
   * The URL sent. `{memoryId}` and `{keyId}` become a fresh memory or key of the owner for each test (so
   * a delete in one cell cannot change the next), `{unique}` a fresh number (so creates never dedupe).
   */
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** JSON body; the same placeholders are replaced inside strings. */
  readonly body?: unknown;
  /** Every scope the route needs; empty = any valid credential will do. */
  readonly scopes: readonly Scope[];
  /** The status a valid credential gets. */
  readonly success: number;
  /** The URL or body names one of the owner's resources by id, so another workspace must get not-found. */
  readonly namesResource: boolean;
  /** Answers the same to every credential (no authenticator on it). */
  readonly public?: boolean;
  /** The MCP tool a `tools/call` row calls, for the coverage check. */
  readonly tool?: string;
  readonly era?: McpEra;
  /** A dashboard route for Cairn administrators only (a session of anyone else gets 403). */
  readonly adminOnly?: boolean;
}

const PLACEHOLDER = /\{(memoryId|keyId|grantId|oauthClientId|sessionId|userId|appId|memberId|invitationId|teamKeyId|teamGrantId|teamClientId|teamId|teamName|invitationToken|unique)\}/g;
const ID_PLACEHOLDER = /\{(memoryId|keyId|grantId|oauthClientId|sessionId|userId|appId|memberId|invitationId|teamKeyId|teamGrantId|teamClientId)\}/;

/** The registered Fastify route a case exercises: `/api/v1/memories/{memoryId}` → `/api/v1/memories/:id`. */
export function routeOf(c: Pick<RouteCase, 'url'>): string {
  return c.url.split('?')[0]!.replace(new RegExp(ID_PLACEHOLDER.source, 'g'), ':id');
}

function rest(method: HttpMethod, url: string, scopes: readonly Scope[], success: number, extra: Partial<RouteCase> = {}): RouteCase {
  return { name: `${method} ${routeOf({ url })}`, wire: 'rest', method, url, scopes, success, namesResource: ID_PLACEHOLDER.test(url), ...extra };
}

/** Fastify answers HEAD for every GET route by running the GET handler, so each one is a route of its own here. */
function withHeadTwins(cases: readonly RouteCase[]): RouteCase[] {
  return cases.flatMap((c) => (c.method === 'GET' && c.wire !== 'mcp' ? [c, { ...c, method: 'HEAD' as const, name: c.name.replace(/^GET/, 'HEAD') }] : [c]));
}

/** Every REST route under /api/v1 with what it needs and what a valid call answers. */
export const REST_ROUTES: readonly RouteCase[] = withHeadTwins([
  rest('GET', '/api/v1/openapi.json', [], 200, { public: true }),
  rest('POST', '/api/v1/memories', ['memories:write'], 201, { body: { content: 'matrix memory {unique}' } }),
  rest('GET', '/api/v1/memories', ['memories:read'], 200),
  rest('POST', '/api/v1/memories/search', ['memories:read'], 200, { body: { query: 'matrix' } }),
  // Names the owner's memory, but answers 200 with `deleted: 0` to anyone else; isolation.test.ts proves nothing went.
  rest('POST', '/api/v1/memories/bulk-delete', ['memories:delete'], 200, { body: { ids: ['{memoryId}'] }, namesResource: false }),
  rest('GET', '/api/v1/memories/{memoryId}', ['memories:read'], 200),
  rest('GET', '/api/v1/memories/{memoryId}/history', ['memories:read'], 200),
  // Metadata, not content: the same new content in two cells would be a 409 duplicate.
  rest('PATCH', '/api/v1/memories/{memoryId}', ['memories:write'], 200, { body: { metadata: { patched: '{unique}' } } }),
  rest('DELETE', '/api/v1/memories/{memoryId}', ['memories:delete'], 204),
  rest('GET', '/api/v1/export', ['memories:read'], 200),
  // An OpenMemory-style JSON document (application/json); transfer.test.ts covers the Cairn format.
  rest('POST', '/api/v1/import', ['memories:write'], 200, { body: { results: [{ memory: 'matrix import {unique}' }] } }),
  rest('GET', '/api/v1/keys', ['admin'], 200),
  rest('POST', '/api/v1/keys', ['admin'], 201, { body: { name: 'matrix key {unique}', scopes: ['memories:read'] } }),
  rest('DELETE', '/api/v1/keys/{keyId}', ['admin'], 204),
  rest('POST', '/api/v1/keys/{keyId}/rotate', ['admin'], 201, { body: {} }),
  rest('GET', '/api/v1/connections', ['admin'], 200),
  rest('DELETE', '/api/v1/connections/{grantId}', ['admin'], 204),
  rest('GET', '/api/v1/oauth-clients', ['admin'], 200),
  rest('POST', '/api/v1/oauth-clients', ['admin'], 201, { body: { name: 'matrix client {unique}', scopes: ['memories:read'] } }),
  rest('POST', '/api/v1/oauth-clients/{oauthClientId}/rotate-secret', ['admin'], 201, { body: {} }),
  rest('DELETE', '/api/v1/oauth-clients/{oauthClientId}', ['admin'], 204),
  rest('GET', '/api/v1/me', [], 200),
]);

/** Headers a client of each era sends on a POST (SEP-2243 adds Mcp-Method and Mcp-Name in 2026-07-28). */
export function mcpHeaders(era: McpEra, method: string, name?: string): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': era,
  };
  if (era === '2026-07-28') {
    headers['mcp-method'] = method;
    if (name !== undefined) headers['mcp-name'] = name;
  }
  return headers;
}

/** A JSON-RPC request as each era's client sends it: 2026-07-28 clients carry the per-request `_meta` envelope. */
export function mcpMessage(era: McpEra, method: string, params: Record<string, unknown> = {}): Record<string, unknown> {
  const meta =
    era === '2026-07-28'
      ? {
          _meta: {
            'io.modelcontextprotocol/protocolVersion': era,
            'io.modelcontextprotocol/clientInfo': { name: 'cairn-auth-matrix', version: '1.0.0' },
            'io.modelcontextprotocol/clientCapabilities': {},
          },
        }
      : {};
  return { jsonrpc: '2.0', id: 1, method, params: { ...params, ...meta } };
}

interface ToolRow {
  readonly args: Record<string, unknown>;
  readonly scopes: readonly Scope[];
}

/** Every MCP tool with arguments a valid call succeeds with, and the scopes it needs. */
export const MCP_TOOL_ROWS: Readonly<Record<string, ToolRow>> = {
  add_memories: { args: { text: 'matrix memory {unique}' }, scopes: ['memories:write'] },
  search_memory: { args: { query: 'matrix' }, scopes: ['memories:read'] },
  list_memories: { args: {}, scopes: ['memories:read'] },
  get_memory: { args: { id: '{memoryId}' }, scopes: ['memories:read'] },
  update_memory: { args: { id: '{memoryId}', metadata: { patched: '{unique}' } }, scopes: ['memories:write'] },
  delete_memory: { args: { id: '{memoryId}' }, scopes: ['memories:delete'] },
  delete_all_memories: { args: {}, scopes: ['memories:delete'] },
};

function mcpToolCase(era: McpEra, tool: string, row: ToolRow): RouteCase {
  return {
    name: `POST /mcp tools/call ${tool} [${era}]`,
    wire: 'mcp',
    method: 'POST',
    url: '/mcp',
    headers: mcpHeaders(era, 'tools/call', tool),
    body: mcpMessage(era, 'tools/call', { name: tool, arguments: row.args }),
    scopes: row.scopes,
    success: 200,
    namesResource: JSON.stringify(row.args).includes('{memoryId}'),
    tool,
    era,
  };
}

/** The MCP endpoint: each tool and tools/list in both eras, and the GET/DELETE a stateless server refuses (405). */
export const MCP_ROUTES: readonly RouteCase[] = [
  ...MCP_ERAS.flatMap((era) => [
    {
      name: `POST /mcp tools/list [${era}]`,
      wire: 'mcp' as const,
      method: 'POST' as const,
      url: '/mcp',
      headers: mcpHeaders(era, 'tools/list'),
      body: mcpMessage(era, 'tools/list'),
      scopes: [],
      success: 200,
      namesResource: false,
      era,
    },
    ...Object.entries(MCP_TOOL_ROWS).map(([tool, row]) => mcpToolCase(era, tool, row)),
  ]),
  // Stateless: no server-initiated stream (GET) and no session to end (DELETE), so a valid caller gets 405.
  { name: 'GET /mcp', wire: 'mcp', method: 'GET', url: '/mcp', headers: { accept: 'text/event-stream', 'mcp-protocol-version': '2025-06-18' }, scopes: [], success: 405, namesResource: false },
  { name: 'DELETE /mcp', wire: 'mcp', method: 'DELETE', url: '/mcp', headers: { accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18' }, scopes: [], success: 405, namesResource: false },
];

/** Acts in the cell's fresh shared workspace of the owner. */
const inTeam = { 'x-cairn-workspace': '{teamId}' };

function dash(method: HttpMethod, path: string, success: number, extra: Partial<RouteCase> = {}): RouteCase {
  const url = `/dashboard/api${path}`;
  return { ...rest(method, url, [], success, extra), wire: 'dashboard' };
}

/**
 * Every route of the dashboard surface (/dashboard/api). Its one credential is the browser session; the
 * scopes column is unused (a session holds every memory scope and `admin`), `adminOnly` marks the routes
 * for Cairn administrators. A state-changing cell is sent with the dashboard's Origin and X-Cairn-Dashboard.
 */
export const DASHBOARD_ROUTES: readonly RouteCase[] = withHeadTwins([
  dash('GET', '/v1/me', 200),
  dash('POST', '/v1/memories', 201, { body: { content: 'dashboard matrix memory {unique}' } }),
  dash('GET', '/v1/memories', 200),
  dash('POST', '/v1/memories/search', 200, { body: { query: 'matrix' } }),
  dash('GET', '/v1/memories/facets', 200),
  // Names the owner's memory but answers 200 with `updated: 0` to anyone else (dashboard tests prove nothing changed).
  dash('POST', '/v1/memories/bulk-update', 200, { body: { ids: ['{memoryId}'], state: 'archived' }, namesResource: false }),
  dash('GET', '/v1/memories/{memoryId}', 200),
  dash('GET', '/v1/memories/{memoryId}/history', 200),
  dash('PATCH', '/v1/memories/{memoryId}', 200, { body: { metadata: { patched: '{unique}' } } }),
  dash('DELETE', '/v1/memories/{memoryId}', 204),
  dash('GET', '/v1/keys', 200),
  dash('POST', '/v1/keys', 201, { body: { name: 'dashboard matrix key {unique}', scopes: ['memories:read'] } }),
  dash('DELETE', '/v1/keys/{keyId}', 204),
  dash('POST', '/v1/keys/{keyId}/rotate', 201, { body: {} }),
  dash('GET', '/v1/connections', 200),
  dash('DELETE', '/v1/connections/{grantId}', 204),
  dash('GET', '/v1/oauth-clients', 200),
  dash('POST', '/v1/oauth-clients', 201, { body: { name: 'dashboard matrix client {unique}', scopes: ['memories:read'] } }),
  dash('POST', '/v1/oauth-clients/{oauthClientId}/rotate-secret', 201, { body: {} }),
  dash('DELETE', '/v1/oauth-clients/{oauthClientId}', 204),
  dash('GET', '/v1/sessions', 200),
  dash('DELETE', '/v1/sessions/{sessionId}', 204),
  dash('POST', '/v1/sessions/revoke-others', 200, { body: {} }),
  dash('GET', '/v1/activity', 200),
  dash('GET', '/v1/activity/daily', 200),
  dash('GET', '/v1/activity/export', 200),
  dash('GET', '/v1/export', 200),
  dash('POST', '/v1/import', 200, { body: { results: [{ memory: 'dashboard matrix import {unique}' }] } }),
  dash('GET', '/v1/connect', 200),
  dash('GET', '/v1/apps', 200),
  // Sets a fresh app of the owner ({appId}) to `full`, what it already has, so no other cell is affected.
  dash('PATCH', '/v1/apps/{appId}', 200, { body: { access: 'full' } }),
  // A fresh user per cell ({userId}): administrators act on every user, so these name no workspace's resource.
  // Shared workspaces. {teamId} is a fresh shared workspace the owner owns (sent as X-Cairn-Workspace, so
  // anyone else is not a member: 404), with a fresh member ({memberId}) and a pending invitation ({invitationId}).
  dash('POST', '/v1/workspaces', 201, { body: { name: 'matrix team {unique}' } }),
  dash('GET', '/v1/members', 200),
  dash('PATCH', '/v1/members/{memberId}', 200, { headers: inTeam, body: { role: 'viewer' } }),
  dash('DELETE', '/v1/members/{memberId}', 204, { headers: inTeam }),
  dash('GET', '/v1/invitations', 200, { headers: inTeam, namesResource: true }),
  dash('POST', '/v1/invitations', 201, { headers: inTeam, namesResource: true, body: { role: 'member' } }),
  dash('DELETE', '/v1/invitations/{invitationId}', 204, { headers: inTeam }),
  // {invitationToken} invites to a third person's workspace: anyone signed in may open and accept it.
  dash('POST', '/v1/invitations/inspect', 200, { body: { token: '{invitationToken}' } }),
  dash('POST', '/v1/invitations/accept', 200, { body: { token: '{invitationToken}' } }),
  dash('DELETE', '/v1/workspace', 204, { headers: inTeam, namesResource: true, body: { confirm: '{teamName}' } }),
  // Hands the fresh team over to its fresh member (the owner becomes admin of that team only).
  dash('POST', '/v1/workspace/transfer', 200, { headers: inTeam, namesResource: true, body: { userId: '{memberId}' } }),
  // Every key of the team; {teamKeyId} is a key the team's member holds in the team.
  dash('GET', '/v1/workspace/keys', 200, { headers: inTeam, namesResource: true }),
  dash('DELETE', '/v1/workspace/keys/{teamKeyId}', 204, { headers: inTeam }),
  // Every connected app and client-credentials client of the team; {teamGrantId} and {teamClientId} are the member's there.
  dash('GET', '/v1/workspace/connections', 200, { headers: inTeam, namesResource: true }),
  dash('DELETE', '/v1/workspace/connections/{teamGrantId}', 204, { headers: inTeam }),
  dash('GET', '/v1/workspace/oauth-clients', 200, { headers: inTeam, namesResource: true }),
  dash('DELETE', '/v1/workspace/oauth-clients/{teamClientId}', 204, { headers: inTeam }),
  dash('GET', '/v1/admin/users', 200, { adminOnly: true }),
  dash('POST', '/v1/admin/users/{userId}/disable', 200, { body: {}, adminOnly: true, namesResource: false }),
  dash('POST', '/v1/admin/users/{userId}/enable', 200, { body: {}, adminOnly: true, namesResource: false }),
  dash('POST', '/v1/admin/users/{userId}/password-reset', 200, { body: {}, adminOnly: true, namesResource: false }),
]);

export const SURFACE_ROUTES: readonly RouteCase[] = [...REST_ROUTES, ...MCP_ROUTES, ...DASHBOARD_ROUTES];

// ---------------------------------------------------------------------------------------------------------
// Coverage: a route without a row fails the build
// ---------------------------------------------------------------------------------------------------------

const COVERED_PREFIXES = ['/api/v1/', '/mcp', '/dashboard/api/'];

function isCoveredSurface(url: string): boolean {
  return COVERED_PREFIXES.some((p) => url === p.replace(/\/$/, '') || url.startsWith(p));
}

/** Registered `/api/v1/*` and `/mcp*` routes (method + path) that no row exercises. */
export function uncoveredRoutes(registered: readonly RegisteredRoute[], cases: readonly RouteCase[]): string[] {
  const covered = new Set(cases.map((c) => `${c.method} ${routeOf(c)}`));
  return registered.filter((r) => isCoveredSurface(r.url)).map((r) => `${r.method} ${r.url}`).filter((r) => !covered.has(r));
}

/** Rows whose method + path is not a registered route (a removed or renamed route left its row behind). */
export function staleCases(registered: readonly RegisteredRoute[], cases: readonly RouteCase[]): string[] {
  const routes = new Set(registered.map((r) => `${r.method} ${r.url}`));
  return cases.map((c) => `${c.method} ${routeOf(c)}`).filter((r) => !routes.has(r));
}

/** `tool [era]` pairs without a tools/call row: every tool must be pinned for every era served. */
export function uncoveredTools(toolNames: readonly string[], cases: readonly RouteCase[]): string[] {
  const covered = new Set(cases.filter((c) => c.tool).map((c) => `${c.tool} [${c.era}]`));
  return toolNames.flatMap((t) => MCP_ERAS.map((era) => `${t} [${era}]`)).filter((k) => !covered.has(k));
}

// ---------------------------------------------------------------------------------------------------------
// Columns: the credential kinds
// ---------------------------------------------------------------------------------------------------------

/** What a cell must answer. */
export type Outcome =
  | { readonly kind: 'success' }
  /** 401 with a Bearer challenge; `presented` = a credential was sent, so the challenge says error="invalid_token". */
  | { readonly kind: 'unauthenticated'; readonly presented: boolean }
  /** 403 naming every scope the route needs. */
  | { readonly kind: 'insufficient_scope' }
  /** The resource is someone else's: exactly what a missing id answers. */
  | { readonly kind: 'not_found' }
  /** Dashboard only: a change from a page of another origin (the CSRF rule). */
  | { readonly kind: 'forbidden_origin' };

const SUCCESS: Outcome = { kind: 'success' };
const ABSENT: Outcome = { kind: 'unauthenticated', presented: false };
const INVALID: Outcome = { kind: 'unauthenticated', presented: true };

/** How a credential rides on a request. */
export interface Presentation {
  readonly headers?: Readonly<Record<string, string>>;
  readonly query?: Readonly<Record<string, string>>;
}

export interface CredentialKind {
  /** Shown in test names: `… × revoked → 401 invalid_token`. */
  readonly name: string;
  /** Builds the credential (memoised in the world where it is costly) and says how it is sent. */
  present(world: MatrixWorld, route: RouteCase): Promise<Presentation>;
  /** What a non-public route of /api or /mcp answers to it. */
  expect(route: RouteCase): Outcome;
  /**
   * What a dashboard route answers to it. Absent: the dashboard does not take this credential (every API
   * key and access token), so it is a 401 that points at the login page.
   */
  onDashboard?(route: RouteCase): Outcome;
}

export type Party = { readonly user: User; readonly workspace: Workspace };

/** How an access token is minted for a cell: an authorization-code grant (default) or a client-credentials client. */
export interface TokenOptions {
  readonly kind?: 'grant' | 'client';
  /** Claims replaced or (undefined) removed. */
  readonly claims?: Record<string, unknown>;
  /** Signs with this instead of the published key (a forged or foreign token). */
  readonly sign?: (claims: Record<string, unknown>) => Promise<string>;
}

/** The app the matrix runs against, the two users in it, and memoised credentials. */
export interface MatrixWorld {
  readonly t: TestApp;
  /** The authorization server's signing keys, grants and clients the app verifies access tokens against. */
  readonly tokens: AuthorizationStores;
  /** Whose memories and keys the rows name. */
  readonly owner: Party;
  /** Another user, with their own personal workspace. */
  readonly stranger: Party;
  /** A fresh number for `{unique}` and names. */
  next(): number;
  /** Builds a value once per world (revoked and expired keys, keys per scope set). */
  once<T>(name: string, build: () => Promise<T>): Promise<T>;
  /** An active key of `party` holding exactly `scopes`. */
  keyFor(party: Party, scopes: readonly Scope[]): Promise<string>;
  /** A grant (recorded as on consent) or a client-credentials client (created) for `party`: what a token is issued under. */
  tokenSubject(party: Party, scopes: readonly string[], kind: 'grant' | 'client'): Promise<TokenSubject>;
  /** A fresh access token of `party` carrying `scopes`, as Cairn's authorization server issues them (1 hour). */
  mintToken(party: Party, scopes: readonly string[], options?: TokenOptions): Promise<string>;
  /** The same, built once per world under `name`. */
  tokenFor(name: string, party: Party, scopes: readonly string[], options?: TokenOptions): Promise<string>;
}

export async function createMatrixWorld(t: TestApp, tokens: AuthorizationStores): Promise<MatrixWorld> {
  const owner = await t.createUser('owner@example.com');
  const stranger = await t.createUser('stranger@example.com');
  const memo = new Map<string, Promise<unknown>>();
  let counter = 0;
  const world: MatrixWorld = {
    t,
    tokens,
    owner,
    stranger,
    next: () => ++counter,
    once<T>(name: string, build: () => Promise<T>): Promise<T> {
      if (!memo.has(name)) memo.set(name, build());
      return memo.get(name) as Promise<T>;
    },
    keyFor(party, scopes) {
      const sorted = [...scopes].sort();
      return world.once(`key:${party.user.email}:${sorted.join(',')}`, async () => (await t.createKey(party, { name: 'matrix caller', scopes: sorted })).key);
    },
    async tokenSubject(party, scopes, kind) {
      const owner = { userId: party.user.id, workspaceId: party.workspace.id };
      if (kind === 'client') return createMachineClient(tokens, owner, scopes);
      // A real app row: memories written with the token record it.
      const app = await world.once(`oauth-app:${party.user.email}`, () => t.runtime.services.apps.ensure(party.workspace.id, 'matrix oauth client', t.clock.now()));
      return recordGrant(tokens, { ...owner, appId: app.id }, scopes);
    },
    async mintToken(party, scopes, options = {}) {
      const subject = await world.tokenSubject(party, scopes, options.kind ?? 'grant');
      const claims = accessTokenClaims(t.runtime.config.http.publicUrl, subject, t.clock.now(), 3600, options.claims);
      return options.sign ? options.sign(claims) : signWithCurrentKey(tokens.keys, claims);
    },
    tokenFor(name, party, scopes, options) {
      return world.once(`token:${name}:${party.user.email}:${[...scopes].sort().join(',')}`, () => world.mintToken(party, scopes, options));
    },
  };
  return world;
}

/** Exactly the scopes the route needs; a route that needs none gets the narrowest key there is. */
function scopesFor(route: RouteCase): readonly Scope[] {
  return route.scopes.length > 0 ? route.scopes : ['memories:read'];
}

/** Every scope but the route's own; never `admin`, which implies all of them. */
function scopesWithout(route: RouteCase): Scope[] {
  return SCOPES.filter((s) => s !== 'admin' && !route.scopes.includes(s));
}

const bearer = (key: string): Presentation => ({ headers: { authorization: `Bearer ${key}` } });

/** The API-key credential kinds. OAuth access tokens and cookies are a further list beside this one (OAUTH_CREDENTIALS). */
export const API_KEY_CREDENTIALS: readonly CredentialKind[] = [
  { name: 'no credential', present: async () => ({}), expect: () => ABSENT },
  { name: 'malformed', present: async () => bearer('not-a-cairn-key'), expect: () => INVALID },
  {
    name: 'wrong checksum',
    async present(world, route) {
      const key = await world.keyFor(world.owner, scopesFor(route));
      // The last characters are the checksum: one changed character is a typo the server must catch.
      return bearer(key.slice(0, -1) + (key.endsWith('a') ? 'b' : 'a'));
    },
    expect: () => INVALID,
  },
  // Well formed, right checksum, never issued.
  { name: 'unknown', present: async () => bearer(generateApiKey().key), expect: () => INVALID },
  {
    name: 'revoked',
    async present(world) {
      const key = await world.once('revoked', async () => {
        const { key, id } = await world.t.createKey(world.owner, { name: 'revoked', scopes: ALL_SCOPES });
        await world.t.runtime.services.apiKeys.revoke({ userId: world.owner.user.id, workspaceId: world.owner.workspace.id }, id, { kind: 'cli', credentialId: null });
        return key;
      });
      return bearer(key);
    },
    expect: () => INVALID,
  },
  {
    name: 'expired',
    async present(world) {
      const key = await world.once('expired', async () => {
        const { key } = await world.t.createKey(world.owner, { name: 'expired', scopes: ALL_SCOPES, expiresAt: world.t.clock.now() + 1000 });
        world.t.clock.advance(1001);
        return key;
      });
      return bearer(key);
    },
    expect: () => INVALID,
  },
  {
    name: 'other workspace',
    present: async (world, route) => bearer(await world.keyFor(world.stranger, scopesFor(route))),
    expect: (route) => (route.namesResource ? { kind: 'not_found' } : SUCCESS),
  },
  {
    name: 'missing scope',
    present: async (world, route) => bearer(await world.keyFor(world.owner, scopesWithout(route))),
    expect: (route) => (route.scopes.length > 0 ? { kind: 'insufficient_scope' } : SUCCESS),
  },
  { name: 'valid', present: async (world, route) => bearer(await world.keyFor(world.owner, scopesFor(route))), expect: () => SUCCESS },
  {
    name: 'valid as X-API-Key',
    present: async (world, route) => ({ headers: { 'x-api-key': await world.keyFor(world.owner, scopesFor(route)) } }),
    expect: () => SUCCESS,
  },
  {
    // URLs end up in logs and browser history, so even a valid key there is refused.
    name: 'valid in query string',
    present: async (world, route) => ({ query: { api_key: await world.keyFor(world.owner, scopesFor(route)) } }),
    expect: () => INVALID,
  },
];

const INSUFFICIENT: Outcome = { kind: 'insufficient_scope' };

/** What a valid OAuth token gets: OAuth never grants `admin`, so managing keys, clients and connections is 403 and everything else works. */
function tokenOutcome(route: RouteCase, otherWorkspace = false): Outcome {
  if (route.scopes.includes('admin')) return INSUFFICIENT;
  return otherWorkspace && route.namesResource ? { kind: 'not_found' } : SUCCESS;
}

/**
 * OAuth access tokens (RFC 9068 JWTs shaped as Cairn's authorization server issues them, signed with the
 * current key of its real signing-key store, under grants and clients recorded in its real stores on the
 * same SQLite database) and the other credentials a browser or an OAuth client might send.
 */
export const OAUTH_CREDENTIALS: readonly CredentialKind[] = [
  // Exactly the route's scopes; a key-management route asks for admin, which a token can carry but never gets.
  { name: 'access token', present: async (world, route) => bearer(await world.tokenFor('valid', world.owner, scopesFor(route))), expect: (route) => tokenOutcome(route) },
  {
    name: 'access token claiming admin',
    present: async (world) => bearer(await world.tokenFor('admin', world.owner, ['admin', 'memories:read', 'memories:write', 'memories:delete', 'offline_access'])),
    expect: (route) => tokenOutcome(route),
  },
  {
    name: 'access token, read-only',
    present: async (world) => bearer(await world.tokenFor('read-only', world.owner, ['memories:read'])),
    expect: (route) => (route.scopes.every((s) => s === 'memories:read') ? SUCCESS : INSUFFICIENT),
  },
  {
    name: 'access token, missing scope',
    present: async (world, route) => bearer(await world.tokenFor('missing scope', world.owner, scopesWithout(route))),
    expect: (route) => (route.scopes.length > 0 ? INSUFFICIENT : SUCCESS),
  },
  {
    name: 'access token, other workspace',
    present: async (world, route) => bearer(await world.tokenFor('stranger', world.stranger, scopesFor(route))),
    expect: (route) => tokenOutcome(route, true),
  },
  {
    name: 'access token, expired',
    present: async (world, route) => {
      const iat = Math.floor(world.t.clock.now() / 1000) - 7200;
      return bearer(await world.mintToken(world.owner, scopesFor(route), { claims: { iat, exp: iat + 3600 } }));
    },
    expect: () => INVALID,
  },
  {
    name: 'access token, wrong audience',
    present: async (world, route) => bearer(await world.mintToken(world.owner, scopesFor(route), { claims: { aud: 'https://other-server.example/mcp' } })),
    expect: () => INVALID,
  },
  {
    name: 'access token, wrong issuer',
    present: async (world, route) => bearer(await world.mintToken(world.owner, scopesFor(route), { claims: { iss: 'https://other-issuer.example' } })),
    expect: () => INVALID,
  },
  {
    // Another key signing under the published kid.
    name: 'access token, bad signature',
    async present(world, route) {
      const impostor = await world.once('impostor key', async () => generateSigningKey((await world.tokens.keys.current()).kid));
      return bearer(await world.mintToken(world.owner, scopesFor(route), { sign: (claims) => signToken(impostor.privateKey, { kid: impostor.kid }, claims) }));
    },
    expect: () => INVALID,
  },
  {
    name: 'access token, unknown key',
    async present(world, route) {
      const foreign = await world.once('foreign key', () => generateSigningKey('not-a-cairn-key-id'));
      return bearer(await world.mintToken(world.owner, scopesFor(route), { sign: (claims) => signToken(foreign.privateKey, { kid: foreign.kid }, claims) }));
    },
    expect: () => INVALID,
  },
  {
    name: 'access token, revoked grant',
    async present(world, route) {
      const subject = await world.tokenSubject(world.owner, scopesFor(route), 'grant');
      await revokeGrant(world.tokens, subject);
      return bearer(await signWithCurrentKey(world.tokens.keys, accessTokenClaims(world.t.runtime.config.http.publicUrl, subject, world.t.clock.now(), 3600)));
    },
    expect: () => INVALID,
  },
  {
    name: 'client-credentials token',
    present: async (world, route) => bearer(await world.tokenFor('client', world.owner, scopesFor(route), { kind: 'client' })),
    expect: (route) => tokenOutcome(route),
  },
  {
    name: 'client-credentials token, client deleted',
    async present(world, route) {
      const subject = await world.tokenSubject(world.owner, scopesFor(route), 'client');
      await deleteMachineClient(world.tokens, subject);
      return bearer(await signWithCurrentKey(world.tokens.keys, accessTokenClaims(world.t.runtime.config.http.publicUrl, subject, world.t.clock.now(), 3600)));
    },
    expect: () => INVALID,
  },
  {
    // /api and /mcp take no cookies: a signed-in browser's live session is no credential here, so this is
    // "none presented".
    name: 'session cookie alone',
    present: async (world) => cookie(await sessionCookie(world)),
    expect: () => ABSENT,
    // The dashboard's own credential.
    onDashboard: (route) => sessionOutcome(route, 'owner'),
  },
  {
    // RFC 6750 §2.3 query tokens are refused, valid or not (MCP forbids them).
    name: 'access token in query string',
    present: async (world, route) => ({ query: { access_token: await world.tokenFor('valid', world.owner, scopesFor(route)) } }),
    expect: () => INVALID,
  },
  {
    // Two credentials of different kinds: refused, never guessed between.
    name: 'access token beside an API key',
    present: async (world, route) => ({
      headers: { authorization: `Bearer ${await world.tokenFor('valid', world.owner, scopesFor(route))}`, 'x-api-key': await world.keyFor(world.owner, scopesFor(route)) },
    }),
    expect: () => INVALID,
  },
];

/** The owner signs in with a password, as the login page does; the Cookie header a browser would then send. */
function sessionCookie(world: MatrixWorld): Promise<string> {
  return world.once('session cookie', () => signedIn(world, world.owner.user));
}

/** `user` gets a password and signs in once; the Cookie header of that live session. */
async function signedIn(world: MatrixWorld, user: User): Promise<string> {
  const { accounts, sessions } = world.t.runtime.services;
  const password = 'matrix password, long enough';
  await accounts.setPassword(user, password);
  const cookie = (await accounts.signIn(user.email, password, '127.0.0.1')).map((c) => c.split(';')[0]).join('; ');
  // The cell proves something only if the session is live where sessions are accepted.
  const session = await sessions.fromHeaders({ cookie });
  if (session?.userId !== user.id) throw new Error(`the matrix session cookie is not a live session: ${cookie}`);
  return cookie;
}

const REFUSED_ON_DASHBOARD: Outcome = ABSENT;

/** What a live session of the owner gets on a dashboard route (another person: `otherPerson`; a Cairn administrator: `admin`). */
function sessionOutcome(route: RouteCase, who: 'owner' | 'otherPerson' | 'admin'): Outcome {
  if (route.adminOnly) return who === 'admin' ? SUCCESS : INSUFFICIENT;
  return who !== 'owner' && route.namesResource ? { kind: 'not_found' } : SUCCESS;
}

const cookie = (value: string): Presentation => ({ headers: { cookie: value } });

/**
 * Browser sessions: the dashboard's one way in, and no credential at all on /api and /mcp (a cookie there is
 * "none presented"). The owner's session column beside OAUTH_CREDENTIALS ('session cookie alone') is the
 * owner's; these are other people's, ended ones, and a valid one sent from another origin.
 */
export const SESSION_CREDENTIALS: readonly CredentialKind[] = [
  {
    name: 'session cookie, other person',
    present: async (world) => cookie(await world.once('stranger session', () => signedIn(world, world.stranger.user))),
    expect: () => ABSENT,
    onDashboard: (route) => sessionOutcome(route, 'otherPerson'),
  },
  {
    name: 'session cookie, administrator',
    async present(world) {
      const value = await world.once('admin session', async () => {
        const { user } = await world.t.runtime.services.users.create({ email: 'matrix-admin@example.com', isAdmin: true });
        return signedIn(world, user);
      });
      return cookie(value);
    },
    expect: () => ABSENT,
    onDashboard: (route) => sessionOutcome(route, 'admin'),
  },
  {
    name: 'session cookie, signed out',
    async present(world) {
      const value = await world.once('signed-out session', async () => {
        await sessionCookie(world);
        const { accounts, sessions } = world.t.runtime.services;
        const ended = (await accounts.signIn(world.owner.user.email, 'matrix password, long enough', '127.0.0.1')).map((c) => c.split(';')[0]).join('; ');
        const session = await sessions.fromHeaders({ cookie: ended });
        await accounts.endSessions(world.owner.user.id, (id) => id === session?.sessionId);
        return ended;
      });
      return cookie(value);
    },
    expect: () => ABSENT,
    onDashboard: () => ABSENT,
  },
  {
    // The CSRF rule: a valid session, but the change comes from another site's page.
    name: 'session cookie, foreign Origin',
    present: async (world) => ({ headers: { cookie: await sessionCookie(world), origin: 'https://evil.example' } }),
    // /mcp checks Origin itself (DNS rebinding) before looking for a credential.
    expect: (route) => (route.wire === 'mcp' ? { kind: 'forbidden_origin' } : ABSENT),
    onDashboard: (route) => (route.method === 'GET' || route.method === 'HEAD' ? sessionOutcome(route, 'owner') : { kind: 'forbidden_origin' }),
  },
];

export function expectedOutcome(route: RouteCase, credential: CredentialKind): Outcome {
  if (route.public) return SUCCESS;
  if (route.wire === 'dashboard') return credential.onDashboard ? credential.onDashboard(route) : REFUSED_ON_DASHBOARD;
  return credential.expect(route);
}

// ---------------------------------------------------------------------------------------------------------
// Sending a cell and judging the answer
// ---------------------------------------------------------------------------------------------------------

interface Fixtures {
  readonly memoryId?: string;
  readonly keyId?: string;
  readonly grantId?: string;
  readonly oauthClientId?: string;
  readonly sessionId?: string;
  readonly userId?: string;
  readonly appId?: string;
  readonly teamId?: string;
  readonly teamName?: string;
  readonly memberId?: string;
  readonly invitationId?: string;
  readonly invitationToken?: string;
  readonly teamKeyId?: string;
  readonly teamGrantId?: string;
  readonly teamClientId?: string;
  readonly unique: string;
}

async function fixturesFor(world: MatrixWorld, route: RouteCase): Promise<Fixtures> {
  const text = route.url + JSON.stringify(route.body ?? null) + JSON.stringify(route.headers ?? null);
  const unique = String(world.next());
  const fixtures: { -readonly [K in keyof Fixtures]: Fixtures[K] } = { unique };
  if (text.includes('{memoryId}')) {
    const key = await world.keyFor(world.owner, ALL_SCOPES);
    const res = await world.t.call('POST', '/api/v1/memories', { key, body: { content: `owner fixture ${unique}` } });
    fixtures.memoryId = (res.json() as { memory: { id: string } }).memory.id;
  }
  if (text.includes('{keyId}')) fixtures.keyId = (await world.t.createKey(world.owner, { name: `target ${unique}` })).id;
  const oauth = world.t.runtime.services.oauth;
  const owner = { userId: world.owner.user.id, workspaceId: world.owner.workspace.id };
  const byTest = { kind: 'cli', credentialId: null } as const;
  if (text.includes('{grantId}')) {
    // A connected app of the owner, recorded as the consent page records one.
    const app = await world.t.runtime.services.apps.ensure(owner.workspaceId, 'matrix connected app', world.t.clock.now());
    fixtures.grantId = `grant_matrix_${unique}`;
    await oauth.grants.record({ id: fixtures.grantId, ...owner, appId: app.id, clientId: 'matrix-client', clientName: 'Matrix client', scopes: ['memories:read'] }, byTest);
  }
  if (text.includes('{sessionId}')) {
    // Another browser session of the owner, made directly (signing in again and again would hit the attempt limit).
    const ctx = await (await world.t.runtime.services.accounts.auth()).$context;
    await sessionCookie(world);
    fixtures.sessionId = (await ctx.internalAdapter.createSession(world.owner.user.id, false, { userAgent: `matrix ${unique}` })).id;
  }
  if (text.includes('{appId}')) fixtures.appId = (await world.t.runtime.services.apps.ensure(owner.workspaceId, `matrix app ${unique}`, world.t.clock.now())).id;
  if (text.includes('{userId}')) fixtures.userId = (await world.t.runtime.services.users.create({ email: `matrix-target-${unique}@example.com` })).user.id;
  const { workspaces } = world.t.runtime.services;
  const asCli = (userId: string, workspaceId: string) => ({ userId, workspaceId, credential: { kind: 'cli' as const, id: null }, appId: null });
  if (/\{(teamId|teamName|memberId|invitationId|teamKeyId|teamGrantId|teamClientId)\}/.test(text)) {
    const team = await workspaces.create(asCli(owner.userId, owner.workspaceId), { name: `matrix team ${unique}` });
    fixtures.teamId = team.id;
    fixtures.teamName = team.name;
    const member = await world.t.runtime.services.users.create({ email: `matrix-member-${unique}@example.com` });
    const invitation = await workspaces.invite(asCli(owner.userId, team.id), { role: 'member' });
    const accepted = await workspaces.accept(asCli(member.user.id, member.workspace.id), invitation.token);
    if (accepted.id !== team.id) throw new Error('the matrix member did not join the matrix team');
    fixtures.memberId = member.user.id;
    fixtures.invitationId = (await workspaces.invite(asCli(owner.userId, team.id), { role: 'viewer' })).invitation.id;
    if (text.includes('{teamKeyId}')) fixtures.teamKeyId = (await world.t.createKey({ user: member.user, workspace: accepted }, { name: `team key ${unique}` })).id;
    const inTeamAsMember = { userId: member.user.id, workspaceId: team.id };
    if (text.includes('{teamGrantId}')) {
      const app = await world.t.runtime.services.apps.ensure(team.id, 'matrix team app', world.t.clock.now());
      fixtures.teamGrantId = `grant_team_${unique}`;
      await oauth.grants.record({ id: fixtures.teamGrantId, ...inTeamAsMember, appId: app.id, clientId: 'matrix-client', clientName: 'Matrix client', scopes: ['memories:read'] }, byTest);
    }
    if (text.includes('{teamClientId}')) fixtures.teamClientId = (await oauth.clients.create(inTeamAsMember, { name: `team client ${unique}`, scopes: ['memories:read'] }, byTest)).clientId;
  }
  if (text.includes('{invitationToken}')) {
    const host = await world.t.runtime.services.users.create({ email: `matrix-host-${unique}@example.com` });
    const team = await workspaces.create(asCli(host.user.id, host.workspace.id), { name: `matrix host team ${unique}` });
    fixtures.invitationToken = (await workspaces.invite(asCli(host.user.id, team.id), { role: 'member' })).token;
  }
  if (text.includes('{oauthClientId}')) fixtures.oauthClientId = (await oauth.clients.create(owner, { name: `target client ${unique}`, scopes: ['memories:read'] }, byTest)).clientId;
  return fixtures;
}

function fill<T>(value: T, fixtures: Fixtures): T {
  const replace = (s: string) =>
    s.replace(PLACEHOLDER, (_m, name: keyof Fixtures) => {
      const v = fixtures[name];
      if (v === undefined) throw new Error(`no fixture for {${name}}`);
      return v;
    });
  return JSON.parse(JSON.stringify(value), (_k, v: unknown) => (typeof v === 'string' ? replace(v) : v)) as T;
}

/** Sends one cell: fresh fixtures, the credential as presented, the route's own headers and body. */
export async function sendCell(world: MatrixWorld, route: RouteCase, credential: CredentialKind): Promise<LightMyRequestResponse> {
  const fixtures = await fixturesFor(world, route);
  const presented = await credential.present(world, route);
  let url = fill(route.url, fixtures);
  if (presented.query) url += (url.includes('?') ? '&' : '?') + new URLSearchParams(presented.query).toString();
  const body = route.body === undefined ? undefined : fill(route.body, fixtures);
  const routeHeaders = route.headers === undefined ? {} : fill(route.headers, fixtures);
  // A change on the dashboard comes from its own page (the CSRF rule); a credential may say otherwise.
  const page = route.wire === 'dashboard' && route.method !== 'GET' && route.method !== 'HEAD' ? { origin: world.t.runtime.config.http.publicUrl, 'x-cairn-dashboard': '1' } : {};
  return world.t.app.inject({
    method: route.method,
    url,
    headers: { ...page, ...routeHeaders, ...presented.headers },
    ...(body !== undefined ? { payload: body as object } : {}),
  });
}

/** A JSON-RPC response, whether it came as plain JSON or as a one-event SSE stream. */
export interface JsonRpcReply {
  readonly result?: { readonly isError?: boolean; readonly content?: { type: string; text: string }[]; readonly structuredContent?: Record<string, unknown>; readonly [k: string]: unknown };
  readonly error?: { readonly code: number; readonly message: string; readonly data?: Record<string, unknown> };
}

export function readJsonRpc(res: LightMyRequestResponse): JsonRpcReply {
  if (String(res.headers['content-type'] ?? '').startsWith('text/event-stream')) {
    const data = res.body
      .split('\n')
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice('data:'.length).trim())
      .filter((line) => line.length > 0);
    if (data.length !== 1) throw new Error(`expected one SSE message, got ${data.length}: ${res.body}`);
    return JSON.parse(data[0]!) as JsonRpcReply;
  }
  return res.json() as JsonRpcReply;
}

/** Status and the start of the body, so a failing cell shows what it got. */
function seen(res: LightMyRequestResponse): { status: number; body: string } {
  return { status: res.statusCode, body: res.body.slice(0, 400) };
}

/** Every 401 and 403 points OAuth clients at the protected-resource metadata (RFC 9728 §5.1). */
const RESOURCE_METADATA = /resource_metadata="http:\/\/[^"]+\/\.well-known\/oauth-protected-resource\/mcp"/;

function expectChallenge(res: LightMyRequestResponse, presented: boolean): void {
  const challenge = String(res.headers['www-authenticate'] ?? '');
  expect(challenge).toMatch(/^Bearer /);
  expect(challenge).toMatch(RESOURCE_METADATA);
  expect(challenge).toContain('scope="memories:read memories:write memories:delete"');
  // RFC 6750 §3.1: a request without credentials gets no error code, a bad credential gets invalid_token.
  if (presented) expect(challenge).toContain('error="invalid_token"');
  else expect(challenge).not.toContain('error=');
}

function judgeRest(route: RouteCase, outcome: Outcome, res: LightMyRequestResponse): void {
  const hasBody = route.method !== 'HEAD';
  const error = () => (res.json() as { error: { code: string; message: string; details?: { requiredScopes?: string[] } } }).error;
  switch (outcome.kind) {
    case 'success':
      expect(seen(res)).toMatchObject({ status: route.success });
      return;
    case 'unauthenticated':
      expect(seen(res)).toMatchObject({ status: 401 });
      expectChallenge(res, outcome.presented);
      if (hasBody) expect(error().code).toBe('UNAUTHENTICATED');
      return;
    case 'insufficient_scope':
      expect(seen(res)).toMatchObject({ status: 403 });
      // RFC 6750 §3.1: the 403 names every scope the operation needs, so a client can step up once.
      expect(String(res.headers['www-authenticate'] ?? '')).toContain(`error="insufficient_scope", scope="${route.scopes.join(' ')}"`);
      expect(String(res.headers['www-authenticate'] ?? '')).toMatch(RESOURCE_METADATA);
      if (hasBody) {
        expect(error().code).toBe('INSUFFICIENT_SCOPE');
        expect(error().details?.requiredScopes).toEqual(route.scopes);
        for (const s of route.scopes) expect(error().message).toContain(s);
      }
      return;
    case 'not_found':
      expect(seen(res)).toMatchObject({ status: 404 });
      if (hasBody) expect(error().code).toBe('NOT_FOUND');
      return;
  }
}

function judgeMcp(route: RouteCase, outcome: Outcome, res: LightMyRequestResponse): void {
  switch (outcome.kind) {
    case 'success': {
      expect(seen(res)).toMatchObject({ status: route.success });
      if (route.success !== 200) return;
      const reply = readJsonRpc(res);
      expect(reply.error).toBeUndefined();
      expect(reply.result?.isError ?? false).toBe(false);
      // Only the 2026-07-28 path marks a result complete: proof the modern client was not served as a legacy one.
      if (route.era === '2026-07-28') expect(reply.result?.resultType).toBe('complete');
      else expect(reply.result).not.toHaveProperty('resultType');
      return;
    }
    case 'unauthenticated': {
      // Authentication fails at HTTP level, before JSON-RPC dispatch.
      expect(seen(res)).toMatchObject({ status: 401 });
      expectChallenge(res, outcome.presented);
      const reply = readJsonRpc(res);
      expect(reply.error).toMatchObject({ code: -32001, data: { code: 'UNAUTHENTICATED' } });
      return;
    }
    case 'insufficient_scope': {
      expect(seen(res)).toMatchObject({ status: 403 });
      const challenge = String(res.headers['www-authenticate'] ?? '');
      expect(challenge).toMatch(/^Bearer /);
      expect(challenge).toContain('error="insufficient_scope"');
      expect(challenge).toContain(`scope="${route.scopes.join(' ')}"`);
      expect(challenge).toMatch(RESOURCE_METADATA);
      expect(readJsonRpc(res).error).toMatchObject({ data: { code: 'INSUFFICIENT_SCOPE', requiredScopes: [...route.scopes] } });
      return;
    }
    case 'not_found': {
      // A domain failure inside a tool is a result the agent can read, word for word what a missing id gets.
      expect(seen(res)).toMatchObject({ status: 200 });
      const result = readJsonRpc(res).result;
      expect(result?.isError).toBe(true);
      expect(result?.content?.[0]?.text).toBe('NOT_FOUND: Memory not found.');
      return;
    }
    case 'forbidden_origin':
      expect(seen(res)).toMatchObject({ status: 403 });
      expect(res.body).toContain('FORBIDDEN_ORIGIN');
      return;
  }
}

function judgeDashboard(route: RouteCase, outcome: Outcome, res: LightMyRequestResponse): void {
  const hasBody = route.method !== 'HEAD';
  const error = () => (res.json() as { error: { code: string; details?: { loginUrl?: string } } }).error;
  // Not an OAuth resource: no answer of the dashboard carries a Bearer challenge, and none is cached.
  expect(res.headers['www-authenticate']).toBeUndefined();
  expect(res.headers['cache-control']).toBe('no-store');
  switch (outcome.kind) {
    case 'success':
      expect(seen(res)).toMatchObject({ status: route.success });
      return;
    case 'unauthenticated':
      expect(seen(res)).toMatchObject({ status: 401 });
      if (hasBody) {
        expect(error().code).toBe('UNAUTHENTICATED');
        expect(error().details?.loginUrl).toMatch(/^\/login\?return_to=/);
      }
      return;
    case 'insufficient_scope':
      expect(seen(res)).toMatchObject({ status: 403 });
      if (hasBody) expect(error().code).toBe('INSUFFICIENT_SCOPE');
      return;
    case 'not_found':
      expect(seen(res)).toMatchObject({ status: 404 });
      if (hasBody) expect(error().code).toBe('NOT_FOUND');
      return;
    case 'forbidden_origin':
      expect(seen(res)).toMatchObject({ status: 403 });
      if (hasBody) expect(error().code).toBe('FORBIDDEN_ORIGIN');
      return;
  }
}

const JUDGES: Record<Wire, (route: RouteCase, outcome: Outcome, res: LightMyRequestResponse) => void> = { rest: judgeRest, mcp: judgeMcp, dashboard: judgeDashboard };

/** `401`, `401 invalid_token`, `403 memories:write`, `404`, `200 isError NOT_FOUND`. */
export function describeOutcome(route: RouteCase, outcome: Outcome): string {
  switch (outcome.kind) {
    case 'success':
      return String(route.success);
    case 'unauthenticated':
      return outcome.presented ? '401 invalid_token' : '401';
    case 'insufficient_scope':
      return `403 ${route.scopes.join(' ')}`;
    case 'not_found':
      return route.wire === 'mcp' ? '200 isError NOT_FOUND' : '404';
    case 'forbidden_origin':
      return '403 FORBIDDEN_ORIGIN';
  }
}

const WIRE_LABELS: Record<Wire, string> = { rest: 'REST', mcp: 'MCP', dashboard: 'Dashboard' };

export interface SurfaceAuthSuiteOptions {
  readonly routes: readonly RouteCase[];
  readonly credentials: readonly CredentialKind[];
}

/**
 * Registers one test per cell, named `POST /api/v1/memories × revoked → 401 invalid_token`, against one
 * real app on in-memory SQLite. Cells share the app but not their fixtures: each builds its own memory or
 * key to act on, so order does not matter.
 */
export function runSurfaceAuthSuite({ routes, credentials }: SurfaceAuthSuiteOptions): void {
  let world: MatrixWorld;
  beforeAll(async () => {
    const { t, stores } = await buildOAuthTestApp();
    world = await createMatrixWorld(t, stores);
  });
  afterAll(async () => world.t.close());

  for (const wire of new Set(routes.map((r) => r.wire))) {
    describe(`${WIRE_LABELS[wire]} route × credential matrix`, () => {
      for (const route of routes.filter((r) => r.wire === wire)) {
        for (const credential of credentials) {
          const outcome = expectedOutcome(route, credential);
          it(`${route.name} × ${credential.name} → ${describeOutcome(route, outcome)}`, async () => {
            JUDGES[route.wire](route, outcome, await sendCell(world, route, credential));
          });
        }
      }
    });
  }
}
