import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../core/users/user.js';
import { accessTokenClaims, buildOAuthTestApp, createMachineClient, recordGrant, signWithCurrentKey, type AuthorizationStores } from '../testing/access-tokens.js';
import { ALL_SCOPES, type TestApp } from '../testing/build-test-app.js';
import { dashboardPerson, dashboardRequest, type DashboardPerson } from '../testing/dashboard.js';
import { mcpHeaders, mcpMessage, readJsonRpc } from '../testing/surface-auth.suite.js';

// The role × action matrix (issue 5): each role of a shared workspace against each thing one can do in it,
// on the dashboard (session) and, for memories, with every other credential (API key, OAuth access token,
// client-credentials token, MCP tools). Every cell gets a fresh shared workspace with one person per role
// (joined through real invitations) and its own memory to act on, so no cell depends on another.

const ROLES_UNDER_TEST: readonly Role[] = ['owner', 'admin', 'member', 'viewer'];
const MANAGERS: readonly Role[] = ['owner', 'admin'];
const WRITERS: readonly Role[] = ['owner', 'admin', 'member'];

let t: TestApp;
let stores: AuthorizationStores;
let people: Record<Role, DashboardPerson>;
let n = 0;

beforeAll(async () => {
  ({ t, stores } = await buildOAuthTestApp());
  people = {
    owner: await dashboardPerson(t, 'owner@example.com'),
    admin: await dashboardPerson(t, 'admin@example.com'),
    member: await dashboardPerson(t, 'member@example.com'),
    viewer: await dashboardPerson(t, 'viewer@example.com'),
  };
});
afterAll(async () => t.close());

/** One cell's world: a fresh shared workspace, a memory in it, a further member to act on and an app. */
interface Team {
  readonly id: string;
  readonly name: string;
  readonly memoryId: string;
  readonly targetUserId: string;
  readonly appId: string;
  /** A key, a connected app (grant) and a client-credentials client the target member holds in the workspace. */
  readonly targetKeyId: string;
  readonly targetGrantId: string;
  readonly targetClientId: string;
}

const inTeam = (team: Team) => ({ 'x-cairn-workspace': team.id });
const dash = (who: DashboardPerson, method: string, url: string, body?: unknown, headers: Record<string, string> = {}) => dashboardRequest(t, who, method, url, body, headers);

async function freshTeam(): Promise<Team> {
  const unique = ++n;
  const created = await dash(people.owner, 'POST', '/v1/workspaces', { name: `Team ${unique}` });
  expect(created.statusCode, created.body).toBe(201);
  const team = (created.json() as { workspace: { id: string; name: string } }).workspace;
  // Joined through the service (invitation, then acceptance): the routes are rate-limited per person, and
  // these people join hundreds of workspaces here. workspaces.test.ts drives the invitation routes themselves.
  const { workspaces } = t.runtime.services;
  const asCli = (userId: string, workspaceId: string) => ({ userId, workspaceId, credential: { kind: 'cli' as const, id: null }, appId: null });
  const join = async (who: { user: { id: string }; workspace: { id: string } }, role: Role) => {
    const { token } = await workspaces.invite(asCli(people.owner.user.id, team.id), { role });
    expect((await workspaces.accept(asCli(who.user.id, who.workspace.id), token)).role).toBe(role);
  };
  for (const role of ['admin', 'member', 'viewer'] as const) await join(people[role], role);
  // The member acted on never signs in (sign-ins are rate-limited too).
  const target = await t.createUser(`target-${unique}@example.com`);
  await join(target, 'member');
  const memory = await dash(people.owner, 'POST', '/v1/memories', { content: `team memory ${unique}` }, { 'x-cairn-workspace': team.id });
  expect(memory.statusCode, memory.body).toBe(201);
  const app = await t.runtime.services.apps.ensure(team.id, `team app ${unique}`, t.clock.now());
  const targetKey = await t.runtime.services.apiKeys.create({ userId: target.user.id, workspaceId: team.id }, { name: `target key ${unique}`, scopes: ALL_SCOPES }, { kind: 'cli', credentialId: null });
  const inTeamAsTarget = { userId: target.user.id, workspaceId: team.id };
  const grant = await recordGrant(stores, { ...inTeamAsTarget, appId: app.id }, ['memories:read']);
  const client = await createMachineClient(stores, inTeamAsTarget, ['memories:read']);
  return {
    id: team.id,
    name: team.name,
    memoryId: (memory.json() as { memory: { id: string } }).memory.id,
    targetUserId: target.user.id,
    appId: app.id,
    targetKeyId: targetKey.view.id,
    targetGrantId: grant.grantId!,
    targetClientId: client.clientId!,
  };
}

interface Action {
  readonly name: string;
  /** Who may do it. */
  readonly allowed: readonly Role[];
  readonly success: number;
  send(who: DashboardPerson, team: Team): Promise<LightMyRequestResponse>;
}

const DASHBOARD_ACTIONS: readonly Action[] = [
  { name: 'list memories', allowed: ROLES_UNDER_TEST, success: 200, send: (who, team) => dash(who, 'GET', '/v1/memories', undefined, inTeam(team)) },
  { name: 'search memories', allowed: ROLES_UNDER_TEST, success: 200, send: (who, team) => dash(who, 'POST', '/v1/memories/search', { query: 'team' }, inTeam(team)) },
  { name: 'get a memory', allowed: ROLES_UNDER_TEST, success: 200, send: (who, team) => dash(who, 'GET', `/v1/memories/${team.memoryId}`, undefined, inTeam(team)) },
  { name: 'create a memory', allowed: WRITERS, success: 201, send: (who, team) => dash(who, 'POST', '/v1/memories', { content: `written by ${who.user.email}` }, inTeam(team)) },
  { name: 'update a memory', allowed: WRITERS, success: 200, send: (who, team) => dash(who, 'PATCH', `/v1/memories/${team.memoryId}`, { metadata: { by: who.user.email } }, inTeam(team)) },
  { name: 'delete a memory', allowed: WRITERS, success: 204, send: (who, team) => dash(who, 'DELETE', `/v1/memories/${team.memoryId}`, undefined, inTeam(team)) },
  { name: 'bulk update', allowed: WRITERS, success: 200, send: (who, team) => dash(who, 'POST', '/v1/memories/bulk-update', { ids: [team.memoryId], state: 'archived' }, inTeam(team)) },
  { name: 'export the workspace', allowed: ROLES_UNDER_TEST, success: 200, send: (who, team) => dash(who, 'GET', '/v1/export', undefined, inTeam(team)) },
  { name: 'import memories', allowed: WRITERS, success: 200, send: (who, team) => dash(who, 'POST', '/v1/import', { results: [{ memory: `imported by ${who.user.email}` }] }, inTeam(team)) },
  { name: 'list members', allowed: ROLES_UNDER_TEST, success: 200, send: (who, team) => dash(who, 'GET', '/v1/members', undefined, inTeam(team)) },
  { name: 'invite', allowed: MANAGERS, success: 201, send: (who, team) => dash(who, 'POST', '/v1/invitations', { role: 'member' }, inTeam(team)) },
  { name: 'list invitations', allowed: MANAGERS, success: 200, send: (who, team) => dash(who, 'GET', '/v1/invitations', undefined, inTeam(team)) },
  { name: 'change a role', allowed: MANAGERS, success: 200, send: (who, team) => dash(who, 'PATCH', `/v1/members/${team.targetUserId}`, { role: 'viewer' }, inTeam(team)) },
  { name: 'remove a member', allowed: MANAGERS, success: 204, send: (who, team) => dash(who, 'DELETE', `/v1/members/${team.targetUserId}`, undefined, inTeam(team)) },
  { name: 'set app access', allowed: MANAGERS, success: 200, send: (who, team) => dash(who, 'PATCH', `/v1/apps/${team.appId}`, { access: 'read_only' }, inTeam(team)) },
  { name: 'list every key', allowed: MANAGERS, success: 200, send: (who, team) => dash(who, 'GET', '/v1/workspace/keys', undefined, inTeam(team)) },
  { name: "revoke a member's key", allowed: MANAGERS, success: 204, send: (who, team) => dash(who, 'DELETE', `/v1/workspace/keys/${team.targetKeyId}`, undefined, inTeam(team)) },
  { name: 'list every connected app', allowed: MANAGERS, success: 200, send: (who, team) => dash(who, 'GET', '/v1/workspace/connections', undefined, inTeam(team)) },
  { name: "disconnect a member's app", allowed: MANAGERS, success: 204, send: (who, team) => dash(who, 'DELETE', `/v1/workspace/connections/${team.targetGrantId}`, undefined, inTeam(team)) },
  { name: 'list every client', allowed: MANAGERS, success: 200, send: (who, team) => dash(who, 'GET', '/v1/workspace/oauth-clients', undefined, inTeam(team)) },
  { name: "delete a member's client", allowed: MANAGERS, success: 204, send: (who, team) => dash(who, 'DELETE', `/v1/workspace/oauth-clients/${team.targetClientId}`, undefined, inTeam(team)) },
  { name: 'transfer ownership', allowed: ['owner'], success: 200, send: (who, team) => dash(who, 'POST', '/v1/workspace/transfer', { userId: team.targetUserId }, inTeam(team)) },
  { name: 'delete the workspace', allowed: ['owner'], success: 204, send: (who, team) => dash(who, 'DELETE', '/v1/workspace', { confirm: team.name }, inTeam(team)) },
];

const errorOf = (res: LightMyRequestResponse) => (res.json() as { error: { code: string; message: string } }).error;

describe('role × action matrix on the dashboard', () => {
  for (const action of DASHBOARD_ACTIONS) {
    for (const role of ROLES_UNDER_TEST) {
      const allowed = action.allowed.includes(role);
      it(`${role} × ${action.name} → ${allowed ? action.success : '403 FORBIDDEN'}`, async () => {
        const team = await freshTeam();
        const res = await action.send(people[role], team);
        if (allowed) {
          expect(res.statusCode, res.body).toBe(action.success);
          return;
        }
        expect(res.statusCode, res.body).toBe(403);
        expect(errorOf(res).code).toBe('FORBIDDEN');
        expect(errorOf(res).message).toContain(role);
        // A refused write changed nothing: the memory is as the owner wrote it, the target still a member.
        const memory = await dash(people.owner, 'GET', `/v1/memories/${team.memoryId}`, undefined, inTeam(team));
        expect(memory.statusCode).toBe(200);
        expect(memory.json()).toMatchObject({ memory: { state: 'active', metadata: {} } });
        const members = (await dash(people.owner, 'GET', '/v1/members', undefined, inTeam(team))).json() as { members: { userId: string; role: string }[] };
        expect(members.members.find((m) => m.userId === team.targetUserId)?.role).toBe('member');
        const keys = (await dash(people.owner, 'GET', '/v1/workspace/keys', undefined, inTeam(team))).json() as { keys: { id: string; status: string }[] };
        expect(keys.keys.find((k) => k.id === team.targetKeyId)?.status).toBe('active');
        const grants = (await dash(people.owner, 'GET', '/v1/workspace/connections', undefined, inTeam(team))).json() as { connections: { id: string; status: string }[] };
        expect(grants.connections.find((g) => g.id === team.targetGrantId)?.status).toBe('active');
        const clients = (await dash(people.owner, 'GET', '/v1/workspace/oauth-clients', undefined, inTeam(team))).json() as { clients: { id: string }[] };
        expect(clients.clients.map((c) => c.id)).toContain(team.targetClientId);
      });
    }
  }
});

/** How a credential other than the session reaches the team's memories. */
interface Credential {
  readonly name: string;
  bearer(who: DashboardPerson, team: Team): Promise<string>;
}

const CREDENTIALS: readonly Credential[] = [
  {
    name: 'API key',
    bearer: async (who, team) =>
      (await t.runtime.services.apiKeys.create({ userId: who.user.id, workspaceId: team.id }, { name: `key ${++n}`, scopes: ALL_SCOPES, expiresAt: null }, { kind: 'cli', credentialId: null })).key,
  },
  {
    name: 'OAuth access token',
    async bearer(who, team) {
      const app = await t.runtime.services.apps.ensure(team.id, `oauth client ${++n}`, t.clock.now());
      const subject = await recordGrant(stores, { userId: who.user.id, workspaceId: team.id, appId: app.id }, ['memories:read', 'memories:write', 'memories:delete']);
      return signWithCurrentKey(stores.keys, accessTokenClaims(t.runtime.config.http.publicUrl, subject, t.clock.now(), 3600));
    },
  },
  {
    name: 'client-credentials token',
    async bearer(who, team) {
      const subject = await createMachineClient(stores, { userId: who.user.id, workspaceId: team.id }, ['memories:read', 'memories:write', 'memories:delete']);
      return signWithCurrentKey(stores.keys, accessTokenClaims(t.runtime.config.http.publicUrl, subject, t.clock.now(), 3600));
    },
  },
];

interface ApiAction {
  readonly name: string;
  readonly write: boolean;
  readonly success: number;
  send(bearer: string, team: Team): Promise<LightMyRequestResponse>;
}

const api = (method: string, url: string, bearer: string, body?: unknown) => t.call(method, `/api/v1${url}`, { key: bearer, ...(body !== undefined ? { body } : {}) });

const REST_ACTIONS: readonly ApiAction[] = [
  { name: 'list', write: false, success: 200, send: (b) => api('GET', '/memories', b) },
  { name: 'search', write: false, success: 200, send: (b) => api('POST', '/memories/search', b, { query: 'team' }) },
  { name: 'get', write: false, success: 200, send: (b, team) => api('GET', `/memories/${team.memoryId}`, b) },
  { name: 'create', write: true, success: 201, send: (b) => api('POST', '/memories', b, { content: `api write ${++n}` }) },
  { name: 'update', write: true, success: 200, send: (b, team) => api('PATCH', `/memories/${team.memoryId}`, b, { metadata: { api: true } }) },
  { name: 'delete', write: true, success: 204, send: (b, team) => api('DELETE', `/memories/${team.memoryId}`, b) },
  { name: 'bulk delete', write: true, success: 200, send: (b, team) => api('POST', '/memories/bulk-delete', b, { ids: [team.memoryId] }) },
  { name: 'export', write: false, success: 200, send: (b) => api('GET', '/export', b) },
  {
    name: 'import',
    write: true,
    success: 200,
    send: (b) =>
      t.call('POST', '/api/v1/import', {
        key: b,
        headers: { 'content-type': 'application/x-ndjson' },
        body: `${JSON.stringify({ type: 'entity', name: `Imported ${++n}`, entityType: 'note', observations: ['came from a file'] })}\n`,
      }),
  },
];

describe('role × memory action over REST, per credential', () => {
  for (const credential of CREDENTIALS) {
    for (const action of REST_ACTIONS) {
      for (const role of ROLES_UNDER_TEST) {
        const allowed = !action.write || WRITERS.includes(role);
        it(`${role} × ${credential.name} × ${action.name} → ${allowed ? action.success : '403 FORBIDDEN'}`, async () => {
          const team = await freshTeam();
          const res = await action.send(await credential.bearer(people[role], team), team);
          if (allowed) {
            expect(res.statusCode, res.body).toBe(action.success);
            return;
          }
          expect(res.statusCode, res.body).toBe(403);
          expect(errorOf(res)).toMatchObject({ code: 'FORBIDDEN', message: 'Your role in this workspace (viewer) allows reading only.' });
          const memory = await dash(people.owner, 'GET', `/v1/memories/${team.memoryId}`, undefined, inTeam(team));
          expect(memory.json()).toMatchObject({ memory: { state: 'active', metadata: {} } });
        });
      }
    }
  }
});

const TOOL_ACTIONS: readonly { tool: string; write: boolean; args: (team: Team) => Record<string, unknown> }[] = [
  { tool: 'search_memory', write: false, args: () => ({ query: 'team' }) },
  { tool: 'list_memories', write: false, args: () => ({}) },
  { tool: 'get_memory', write: false, args: (team) => ({ id: team.memoryId }) },
  { tool: 'add_memories', write: true, args: () => ({ text: `mcp write ${++n}` }) },
  { tool: 'update_memory', write: true, args: (team) => ({ id: team.memoryId, metadata: { mcp: true } }) },
  { tool: 'delete_memory', write: true, args: (team) => ({ id: team.memoryId }) },
  { tool: 'delete_all_memories', write: true, args: () => ({}) },
];

describe('role × MCP tool', () => {
  for (const { tool, write, args } of TOOL_ACTIONS) {
    for (const role of ROLES_UNDER_TEST) {
      const allowed = !write || WRITERS.includes(role);
      it(`${role} × ${tool} → ${allowed ? 'result' : 'isError FORBIDDEN'}`, async () => {
        const team = await freshTeam();
        const key = await CREDENTIALS[0]!.bearer(people[role], team);
        const res = await t.app.inject({
          method: 'POST',
          url: '/mcp',
          headers: { ...mcpHeaders('2025-06-18', 'tools/call', tool), authorization: `Bearer ${key}` },
          payload: mcpMessage('2025-06-18', 'tools/call', { name: tool, arguments: args(team) }),
        });
        expect(res.statusCode, res.body).toBe(200);
        const result = readJsonRpc(res).result;
        if (allowed) {
          expect(result?.isError ?? false, res.body).toBe(false);
          return;
        }
        expect(result?.isError).toBe(true);
        expect(result?.content?.[0]?.text).toBe('FORBIDDEN: Your role in this workspace (viewer) allows reading only.');
        const memory = await dash(people.owner, 'GET', `/v1/memories/${team.memoryId}`, undefined, inTeam(team));
        expect(memory.json()).toMatchObject({ memory: { state: 'active', metadata: {} } });
      });
    }
  }
});
