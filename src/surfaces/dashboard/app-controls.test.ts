import type { LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Role } from '../../core/users/user.js';
import { buildTestApp, type TestApp } from '../../testing/build-test-app.js';
import { dashboardPerson, dashboardRequest, type DashboardPerson } from '../../testing/dashboard.js';

// App controls (issue 5) through the dashboard's routes, and what a paused or read-only app then gets on
// REST and MCP: a real app on in-memory SQLite, people signed in through the real login page.

let t: TestApp;

beforeEach(async () => {
  t = await buildTestApp();
});
afterEach(async () => t.close());

const dash = (who: { cookie: string }, method: string, url: string, body?: unknown, headers: Record<string, string> = {}) => dashboardRequest(t, who, method, url, body, headers);
const errorOf = (res: LightMyRequestResponse) => (res.json() as { error: { code: string; message: string } }).error;

interface AppRow {
  id: string;
  name: string;
  access: string;
  accessChangedAt: string | null;
}

async function appsOf(who: DashboardPerson, headers: Record<string, string> = {}): Promise<{ apps: AppRow[]; canManage: boolean }> {
  const res = await dash(who, 'GET', '/v1/apps', undefined, headers);
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as { apps: AppRow[]; canManage: boolean };
}

/** A key of `who` and the id of the app it writes as (named after the key). */
async function keyApp(who: DashboardPerson, name: string): Promise<{ key: string; appId: string }> {
  const { key } = await t.createKey(who, { name, scopes: ['memories:read', 'memories:write', 'memories:delete'] });
  expect((await t.call('POST', '/api/v1/memories', { key, body: { content: `written by ${name}` } })).statusCode).toBe(201);
  const app = (await appsOf(who)).apps.find((a) => a.name !== 'Dashboard' && a.name.includes(name));
  if (!app) throw new Error(`no app for key ${name}: ${JSON.stringify(await appsOf(who))}`);
  return { key, appId: app.id };
}

function mcpSearch(key: string) {
  return t.app.inject({
    method: 'POST',
    url: '/mcp',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18' },
    payload: { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'search_memory', arguments: { query: 'written' } } },
  });
}

describe('app controls in the dashboard', () => {
  it('pausing an app stops its reads and writes on REST and MCP with a clear error; resuming restores them', async () => {
    const ada = await dashboardPerson(t, 'ada@example.com');
    const { key, appId } = await keyApp(ada, 'laptop');
    const paused = await dash(ada, 'PATCH', `/v1/apps/${appId}`, { access: 'paused' });
    expect(paused.statusCode, paused.body).toBe(200);
    expect((paused.json() as { app: AppRow }).app).toMatchObject({ id: appId, access: 'paused', accessChangedAt: expect.any(String) });

    const read = await t.call('GET', '/api/v1/memories', { key });
    expect(read.statusCode).toBe(403);
    expect(errorOf(read)).toMatchObject({ code: 'APP_PAUSED', message: expect.stringContaining('is paused in this workspace') });
    expect(errorOf(await t.call('POST', '/api/v1/memories', { key, body: { content: 'more' } })).code).toBe('APP_PAUSED');
    // MCP: a tool result the agent can read, not a transport failure.
    const tool = await mcpSearch(key);
    expect(tool.statusCode).toBe(200);
    expect(tool.body).toContain('"isError":true');
    expect(tool.body).toContain('is paused in this workspace');
    // The dashboard itself still reads the memories the app wrote.
    expect((await dash(ada, 'GET', '/v1/memories')).body).toContain('written by laptop');

    expect((await dash(ada, 'PATCH', `/v1/apps/${appId}`, { access: 'full' })).statusCode).toBe(200);
    expect((await t.call('GET', '/api/v1/memories', { key })).statusCode).toBe(200);
    expect((await mcpSearch(key)).body).toContain('written by laptop');
  });

  it('a read-only app reads but cannot write, and the list shows each app with its access', async () => {
    const ada = await dashboardPerson(t, 'ada@example.com');
    const laptop = await keyApp(ada, 'laptop');
    const phone = await keyApp(ada, 'phone');
    expect((await dash(ada, 'PATCH', `/v1/apps/${laptop.appId}`, { access: 'read_only' })).statusCode).toBe(200);
    expect((await t.call('GET', '/api/v1/memories', { key: laptop.key })).statusCode).toBe(200);
    const write = await t.call('POST', '/api/v1/memories', { key: laptop.key, body: { content: 'not allowed' } });
    expect(write.statusCode).toBe(403);
    expect(errorOf(write).code).toBe('APP_READ_ONLY');
    // The other app is untouched.
    expect((await t.call('POST', '/api/v1/memories', { key: phone.key, body: { content: 'phone writes' } })).statusCode).toBe(201);
    const { apps, canManage } = await appsOf(ada);
    expect(canManage).toBe(true);
    expect(Object.fromEntries(apps.map((a) => [a.id, a.access]))).toMatchObject({ [laptop.appId]: 'read_only', [phone.appId]: 'full' });
    // The change is in the activity log, with who made it.
    const activity = (await dash(ada, 'GET', '/v1/activity')).body;
    expect(activity).toContain('app.access');
  });

  it('only the workspace owner or an admin may change an app; viewers and members see the list without the control', async () => {
    const ada = await dashboardPerson(t, 'ada@example.com');
    const { appId } = await keyApp(ada, 'laptop');
    const db = t.runtime.storage.db;
    const join = async (email: string, role: Role) => {
      const who = await dashboardPerson(t, email);
      await db.insertInto('memberships').values({ workspace_id: ada.workspace.id, user_id: who.user.id, role, created_at: t.clock.now() }).execute();
      return who;
    };
    const inAda = { 'x-cairn-workspace': ada.workspace.id };
    for (const role of ['viewer', 'member'] as const) {
      const who = await join(`${role}@example.com`, role);
      expect((await appsOf(who, inAda)).canManage, role).toBe(false);
      const res = await dash(who, 'PATCH', `/v1/apps/${appId}`, { access: 'paused' }, inAda);
      expect(res.statusCode, role).toBe(403);
      expect(errorOf(res).code, role).toBe('FORBIDDEN');
    }
    expect((await appsOf(ada)).apps.find((a) => a.id === appId)?.access).toBe('full');
    const admin = await join('admin@example.com', 'admin');
    expect((await appsOf(admin, inAda)).canManage).toBe(true);
    expect((await dash(admin, 'PATCH', `/v1/apps/${appId}`, { access: 'paused' }, inAda)).statusCode).toBe(200);
  });

  it('refuses to pause the dashboard, answers 404 for another workspace app, and 400 for an unknown access', async () => {
    const ada = await dashboardPerson(t, 'ada@example.com');
    const bob = await dashboardPerson(t, 'bob@example.com');
    const dashboardApp = (await appsOf(ada)).apps.find((a) => a.name === 'Dashboard')!;
    const refused = await dash(ada, 'PATCH', `/v1/apps/${dashboardApp.id}`, { access: 'paused' });
    expect(refused.statusCode).toBe(400);
    expect(errorOf(refused).message).toContain('dashboard cannot be paused');
    const bobs = await keyApp(bob, 'bob laptop');
    const foreign = await dash(ada, 'PATCH', `/v1/apps/${bobs.appId}`, { access: 'paused' });
    expect(foreign.statusCode).toBe(404);
    expect((await t.call('GET', '/api/v1/memories', { key: bobs.key })).statusCode).toBe(200);
    expect((await dash(ada, 'PATCH', `/v1/apps/${dashboardApp.id}`, { access: 'everything' })).statusCode).toBe(400);
  });
});
