import type { LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../testing/build-test-app.js';
import { dashboardPerson, dashboardRequest, type DashboardPerson } from '../../testing/dashboard.js';
import { API_KEY_PLACEHOLDER } from './routes/connect.js';

// Activity, connect, administration, isolation between people, and the database going away.

let t: TestApp;
let origin: string;

beforeEach(async () => {
  t = await buildTestApp();
  origin = t.runtime.config.http.publicUrl;
});
afterEach(async () => t.close());

type Person = DashboardPerson;
const person = (email: string, opts: { admin?: boolean } = {}) => dashboardPerson(t, email, opts);
const dash = (who: { cookie: string }, method: string, url: string, body?: unknown, headers: Record<string, string> = {}) => dashboardRequest(t, who, method, url, body, headers);

const errorOf = (res: LightMyRequestResponse) => (res.json() as { error: { code: string } }).error;

interface ActivityPage {
  events: { id: string; action: string; userId: string | null; credential: { kind: string; id: string | null } | null; app: { id: string; name: string } | null; target: string | null }[];
  nextCursor: string | null;
}

describe('dashboard activity', () => {
  it('pages the workspace audit log newest first, filtered by action, app and credential', async () => {
    const ada = await person('ada@example.com');
    const { key, id: keyId } = await t.createKey(ada, { name: 'cursor' });
    const made = [];
    for (const content of ['one', 'two', 'three']) made.push(await t.addMemory(key, content));
    await t.runtime.services.accessLog.flush();
    const all = (await dash(ada, 'GET', '/v1/activity?action=memory.create')).json() as ActivityPage;
    expect(all.events.map((e) => e.target)).toEqual(made.map((m) => m.id).reverse());
    expect(all.events[0]).toMatchObject({ userId: ada.user.id, credential: { kind: 'api_key', id: keyId }, app: { name: 'cursor' } });
    const first = (await dash(ada, 'GET', '/v1/activity?action=memory.create&limit=2')).json() as ActivityPage;
    expect(first.events).toHaveLength(2);
    const second = (await dash(ada, 'GET', `/v1/activity?action=memory.create&limit=2&cursor=${first.nextCursor}`)).json() as ActivityPage;
    expect(second.events.map((e) => e.target)).toEqual([made[0]!.id]);
    expect(second.nextCursor).toBeNull();
    const byCredential = (await dash(ada, 'GET', `/v1/activity?credential=${keyId}`)).json() as ActivityPage;
    expect(byCredential.events.length).toBeGreaterThanOrEqual(3);
    expect(byCredential.events.every((e) => e.credential?.id === keyId)).toBe(true);
    const byApp = (await dash(ada, 'GET', `/v1/activity?app=${all.events[0]!.app!.id}&action=memory.create`)).json() as ActivityPage;
    expect(byApp.events).toHaveLength(3);
    expect((await dash(ada, 'GET', '/v1/activity?cursor=abc')).statusCode).toBe(400);
    expect((await dash(ada, 'GET', '/v1/activity?limit=201')).statusCode).toBe(400);
  });

  it('counts events per day and app', async () => {
    const ada = await person('ada@example.com');
    const { key } = await t.createKey(ada, { name: 'cursor' });
    await t.addMemory(key, 'day one');
    t.clock.advance(86_400_000);
    await t.addMemory(key, 'day two');
    await t.addMemory(key, 'day two again');
    const daily = (await dash(ada, 'GET', '/v1/activity/daily?days=7')).json() as { days: { date: string; app: { name: string }; count: number }[] };
    const cursor = daily.days.filter((d) => d.app.name === 'cursor');
    expect(cursor).toEqual([
      { date: '2026-01-01', app: expect.objectContaining({ name: 'cursor' }), count: 1 },
      { date: '2026-01-02', app: expect.objectContaining({ name: 'cursor' }), count: 2 },
    ]);
    const oneDay = (await dash(ada, 'GET', '/v1/activity/daily?days=1')).json() as { days: { date: string }[] };
    expect(oneDay.days.every((d) => d.date === '2026-01-02')).toBe(true);
    expect((await dash(ada, 'GET', '/v1/activity/daily?days=91')).statusCode).toBe(400);
  });

  it('never shows another workspace’s events, whatever the request says', async () => {
    const ada = await person('ada@example.com');
    const bob = await person('bob@example.com');
    const { key } = await t.createKey(bob, { name: 'bobs-client' });
    await t.addMemory(key, 'bob secret');
    const page = (await dash(ada, 'GET', `/v1/activity?user_id=${bob.user.id}`, undefined, { 'x-cairn-user': bob.user.id })).json() as ActivityPage;
    expect(JSON.stringify(page)).not.toContain(bob.user.id);
    expect(JSON.stringify((await dash(ada, 'GET', '/v1/activity/daily')).json())).not.toContain('bobs-client');
  });
});

describe('dashboard connect', () => {
  it('gives each client its set-up with this server’s URL, OAuth where the client supports it and the key placeholder otherwise', async () => {
    const ada = await person('ada@example.com');
    const body = (await dash(ada, 'GET', '/v1/connect')).json() as { mcpUrl: string; clients: { id: string; auth: string; snippets: { text: string }[] }[] };
    expect(body.mcpUrl).toBe(`${origin}/mcp`);
    expect(body.clients.map((c) => c.id)).toEqual(['claude-ai', 'chatgpt', 'claude-code', 'claude-desktop', 'cursor', 'generic']);
    for (const c of body.clients) {
      expect(c.snippets.some((s) => s.text.includes(`${origin}/mcp`)), c.id).toBe(true);
      if (c.auth === 'api_key') expect(c.snippets.some((s) => s.text.includes(API_KEY_PLACEHOLDER)), c.id).toBe(true);
    }
    for (const id of ['claude-ai', 'chatgpt']) expect(JSON.stringify(body.clients.find((c) => c.id === id))).not.toContain(API_KEY_PLACEHOLDER);
    const desktop = JSON.parse(body.clients.find((c) => c.id === 'claude-desktop')!.snippets[0]!.text) as { mcpServers: { cairn: { args: string[] } } };
    expect(desktop.mcpServers.cairn.args).toContain('mcp-remote');
  });
});

describe('dashboard administration', () => {
  it('is for administrators only', async () => {
    const bob = await person('bob@example.com');
    const ada = await person('ada@example.com', { admin: true });
    for (const [method, url] of [
      ['GET', '/v1/admin/users'],
      ['POST', `/v1/admin/users/${ada.user.id}/disable`],
      ['POST', `/v1/admin/users/${ada.user.id}/enable`],
      ['POST', `/v1/admin/users/${ada.user.id}/password-reset`],
    ] as const) {
      const res = await dash(bob, method, url, method === 'POST' ? {} : undefined, { 'x-cairn-user': ada.user.id });
      expect(res.statusCode, `${method} ${url}`).toBe(403);
      expect(errorOf(res).code).toBe('INSUFFICIENT_SCOPE');
    }
  });

  it('lists users with memory counts and last activity', async () => {
    const ada = await person('ada@example.com', { admin: true });
    const bob = await person('bob@example.com');
    const { key } = await t.createKey(bob);
    await t.addMemory(key, 'one');
    await t.addMemory(key, 'two');
    const { users } = (await dash(ada, 'GET', '/v1/admin/users')).json() as { users: { id: string; memoryCount: number; lastActiveAt: string | null; isAdmin: boolean }[] };
    expect(users.find((u) => u.id === bob.user.id)).toMatchObject({ memoryCount: 2, isAdmin: false, lastActiveAt: new Date(t.clock.now()).toISOString() });
    expect(users.find((u) => u.id === ada.user.id)).toMatchObject({ memoryCount: 0, isAdmin: true });
  });

  it('disables a user: their sessions and keys stop working at once; enabling restores the keys', async () => {
    const ada = await person('ada@example.com', { admin: true });
    const bob = await person('bob@example.com');
    const { key } = await t.createKey(bob);
    expect((await t.call('GET', '/api/v1/memories', { key })).statusCode).toBe(200);
    const res = await dash(ada, 'POST', `/v1/admin/users/${bob.user.id}/disable`, {});
    expect(res.statusCode, res.body).toBe(200);
    expect((res.json() as { user: { disabledAt: string | null; memoryCount: number } }).user).toMatchObject({ disabledAt: new Date(t.clock.now()).toISOString(), memoryCount: 0 });
    expect((await dash(bob, 'GET', '/v1/me')).statusCode).toBe(401);
    expect(await t.runtime.services.accounts.sessionsOf(bob.user.id)).toEqual([]);
    // The key was cached as valid a moment ago: no clock moves, so only dropping the cache can refuse it.
    expect((await t.call('GET', '/api/v1/memories', { key })).statusCode).toBe(401);
    expect((await dash(ada, 'POST', `/v1/admin/users/${bob.user.id}/enable`, {})).statusCode).toBe(200);
    expect((await t.call('GET', '/api/v1/memories', { key })).statusCode).toBe(200);
    const actions = (await t.runtime.services.audit.listForWorkspace(ada.workspace.id, 50)).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['user.disable', 'user.enable']));
  });

  it('refuses to let administrators disable themselves, and 404s an unknown user', async () => {
    const ada = await person('ada@example.com', { admin: true });
    const self = await dash(ada, 'POST', `/v1/admin/users/${ada.user.id}/disable`, {});
    expect(self.statusCode).toBe(409);
    expect((await dash(ada, 'POST', '/v1/admin/users/usr_nobody/disable', {})).statusCode).toBe(404);
    expect((await dash(ada, 'POST', '/v1/admin/users/usr_nobody/password-reset', {})).statusCode).toBe(404);
  });

  it('makes a one-time set-password link that works on /setup', async () => {
    const ada = await person('ada@example.com', { admin: true });
    const bob = await person('bob@example.com');
    const res = await dash(ada, 'POST', `/v1/admin/users/${bob.user.id}/password-reset`, {});
    expect(res.statusCode, res.body).toBe(200);
    const { url, expiresAt } = res.json() as { url: string; expiresAt: string };
    expect(url.startsWith(`${origin}/setup`)).toBe(true);
    expect(Date.parse(expiresAt)).toBeGreaterThan(t.clock.now());
    const page = await t.app.inject({ method: 'GET', url: url.slice(origin.length) });
    expect(page.statusCode).toBe(200);
    const events = await t.runtime.services.audit.listForWorkspace(ada.workspace.id, 50);
    const event = events.find((e) => e.action === 'user.password_link');
    expect(event).toMatchObject({ targetId: bob.user.id, credentialKind: 'session' });
    expect(JSON.stringify(event)).not.toContain(url.split('token=')[1] ?? url);
  });
});

describe('dashboard isolation', () => {
  it('a session of one person never reaches another person’s memories or keys, whatever id the request names', async () => {
    const ada = await person('ada@example.com');
    const bob = await person('bob@example.com');
    const bobKey = await t.createKey(bob, { name: 'bobs key' });
    const bobMemory = await t.addMemory(bobKey.key, 'bob secret');
    const spoof = { 'x-cairn-user': bob.user.id, 'x-user-id': bob.user.id };
    expect((await dash(ada, 'GET', `/v1/memories/${bobMemory.id}`, undefined, spoof)).statusCode).toBe(404);
    expect((await dash(ada, 'PATCH', `/v1/memories/${bobMemory.id}`, { content: 'mine now', user_id: bob.user.id }, spoof)).statusCode).toBe(404);
    expect((await dash(ada, 'DELETE', `/v1/memories/${bobMemory.id}`, undefined, spoof)).statusCode).toBe(404);
    expect((await dash(ada, 'POST', '/v1/memories/bulk-update', { ids: [bobMemory.id], state: 'deleted' }, spoof)).json()).toEqual({ updated: 0 });
    const list = await dash(ada, 'GET', `/v1/memories?author=${bob.user.id}&user_id=${bob.user.id}`, undefined, spoof);
    expect((list.json() as { memories: unknown[] }).memories).toEqual([]);
    expect(JSON.stringify((await dash(ada, 'GET', '/v1/memories/facets', undefined, spoof)).json())).not.toContain(bob.user.id);
    expect(JSON.stringify((await dash(ada, 'GET', '/v1/keys', undefined, spoof)).json())).not.toContain(bobKey.id);
    expect((await dash(ada, 'DELETE', `/v1/keys/${bobKey.id}`, undefined, spoof)).statusCode).toBe(404);
    expect((await t.call('GET', `/api/v1/memories/${bobMemory.id}`, { key: bobKey.key })).statusCode).toBe(200);
  });
});

describe('dashboard with the database down', () => {
  it('answers 503 with Retry-After, never access, and works again afterwards', async () => {
    const ada = await person('ada@example.com', { admin: true });
    const routes: [string, string, unknown?][] = [
      ['GET', '/v1/me'],
      ['GET', '/v1/memories'],
      ['GET', '/v1/memories/facets'],
      ['POST', '/v1/memories/bulk-update', { ids: ['mem_x'], state: 'archived' }],
      ['GET', '/v1/sessions'],
      ['POST', '/v1/sessions/revoke-others', {}],
      ['GET', '/v1/activity'],
      ['GET', '/v1/activity/daily'],
      ['GET', '/v1/activity/export'],
      ['GET', '/v1/admin/users'],
    ];
    t.faults.down();
    for (const [method, url, body] of routes) {
      const res = await dash(ada, method, url, body);
      expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(503);
      expect(res.headers['retry-after']).toBe('5');
      expect(errorOf(res).code).toBe('UNAVAILABLE');
    }
    t.faults.up();
    for (const [method, url, body] of routes) expect((await dash(ada, method, url, body)).statusCode, `${method} ${url}`).toBe(200);
  });
});
