import type { LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { User, Workspace } from '../../core/users/user.js';
import { signInCookie } from '../../testing/accounts.js';
import { buildTestApp, type TestApp } from '../../testing/build-test-app.js';
import { dashboardPerson, dashboardRequest, type DashboardPerson } from '../../testing/dashboard.js';

// The dashboard surface against a real app on in-memory SQLite, signed in through the real login page.

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

async function addMemory(who: Person, content: string): Promise<string> {
  t.clock.advance(1000);
  const res = await dash(who, 'POST', '/v1/memories', { content });
  expect(res.statusCode, res.body).toBe(201);
  return (res.json() as { memory: { id: string } }).memory.id;
}

const errorOf = (res: LightMyRequestResponse) => (res.json() as { error: { code: string; message: string; details?: Record<string, unknown> } }).error;

describe('dashboard authentication', () => {
  it('answers 401 with a login URL and no Bearer challenge without a session', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/dashboard/api/v1/me' });
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toBeUndefined();
    expect(res.headers['cache-control']).toBe('no-store');
    expect(errorOf(res)).toMatchObject({ code: 'UNAUTHENTICATED', details: { loginUrl: expect.stringMatching(/^\/login\?return_to=/) } });
  });

  it('refuses an API key, even beside a valid session cookie', async () => {
    const ada = await person('ada@example.com');
    const { key } = await t.createKey(ada);
    expect((await t.call('GET', '/dashboard/api/v1/memories', { key })).statusCode).toBe(401);
    expect((await t.call('GET', '/dashboard/api/v1/memories', { headers: { 'x-api-key': key } })).statusCode).toBe(401);
    expect((await dash(ada, 'GET', '/v1/memories', undefined, { authorization: `Bearer ${key}` })).statusCode).toBe(401);
  });

  it('answers /me for the signed-in person with their workspaces and session', async () => {
    const ada = await person('ada@example.com', { admin: true });
    const res = await dash(ada, 'GET', '/v1/me');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const body = res.json() as { user: { id: string; isAdmin: boolean }; workspace: { id: string; role: string }; workspaces: unknown[]; session: { id: string }; mcpUrl: string };
    expect(body.user).toMatchObject({ id: ada.user.id, isAdmin: true });
    expect(body.workspace).toMatchObject({ id: ada.workspace.id, role: 'owner' });
    expect(body.workspaces).toHaveLength(1);
    expect(body.session.id).toMatch(/^ses_/);
    expect(body.mcpUrl).toBe(`${origin}/mcp`);
  });

  it('answers 404 for X-Cairn-Workspace naming a workspace the person is not a member of', async () => {
    const ada = await person('ada@example.com');
    const bob = await person('bob@example.com');
    const res = await dash(ada, 'GET', '/v1/memories', undefined, { 'x-cairn-workspace': bob.workspace.id });
    expect(res.statusCode).toBe(404);
    expect(errorOf(res).code).toBe('NOT_FOUND');
    const own = await dash(ada, 'GET', '/v1/me', undefined, { 'x-cairn-workspace': ada.workspace.id });
    expect((own.json() as { workspace: { id: string } }).workspace.id).toBe(ada.workspace.id);
  });

  it('acts in a shared workspace named by X-Cairn-Workspace when the person is a member of it', async () => {
    const ada = await person('ada@example.com');
    const db = t.runtime.storage.db;
    await db.insertInto('workspaces').values({ id: 'ws_team', name: 'Team', kind: 'shared', created_at: t.clock.now() }).execute();
    await db.insertInto('memberships').values({ workspace_id: 'ws_team', user_id: ada.user.id, role: 'member', created_at: t.clock.now() }).execute();
    const team = { 'x-cairn-workspace': 'ws_team' };
    const me = (await dash(ada, 'GET', '/v1/me', undefined, team)).json() as { workspace: { id: string; role: string }; workspaces: { id: string }[] };
    expect(me.workspace).toMatchObject({ id: 'ws_team', role: 'member' });
    expect(me.workspaces.map((w) => w.id).sort()).toEqual([ada.workspace.id, 'ws_team'].sort());
    const created = await dash(ada, 'POST', '/v1/memories', { content: 'Team stand-up is at ten' }, team);
    expect(created.statusCode, created.body).toBe(201);
    expect(((await dash(ada, 'GET', '/v1/memories', undefined, team)).json() as { memories: unknown[] }).memories).toHaveLength(1);
    // The personal workspace does not see it.
    expect(((await dash(ada, 'GET', '/v1/memories')).json() as { memories: unknown[] }).memories).toHaveLength(0);
  });

  it('stops accepting the session of a user who was disabled', async () => {
    const ada = await person('ada@example.com');
    await t.runtime.storage.db.updateTable('users').set({ disabled_at: t.clock.now() }).where('id', '=', ada.user.id).execute();
    expect((await dash(ada, 'GET', '/v1/me')).statusCode).toBe(401);
  });
});

describe('dashboard CSRF rule', () => {
  it('refuses a change without Origin, with a foreign Origin, or without X-Cairn-Dashboard, before anything runs', async () => {
    const ada = await person('ada@example.com');
    const cases: Record<string, Record<string, string>> = {
      'no Origin': { 'x-cairn-dashboard': '1' },
      'foreign Origin': { origin: 'https://evil.example', 'x-cairn-dashboard': '1' },
      'no X-Cairn-Dashboard': { origin },
      'X-Cairn-Dashboard not 1': { origin, 'x-cairn-dashboard': 'true' },
    };
    for (const [name, headers] of Object.entries(cases)) {
      const res = await t.app.inject({ method: 'POST', url: '/dashboard/api/v1/memories', headers: { cookie: ada.cookie, ...headers }, payload: { content: `csrf ${name}` } });
      expect(res.statusCode, name).toBe(403);
      expect(errorOf(res).code, name).toBe('FORBIDDEN_ORIGIN');
    }
    // Refused before authentication: no session needed to be told.
    const anonymous = await t.app.inject({ method: 'DELETE', url: '/dashboard/api/v1/sessions/ses_x', headers: { origin: 'https://evil.example' } });
    expect(anonymous.statusCode).toBe(403);
    const counts = (await dash(ada, 'GET', '/v1/memories/facets')).json() as { counts: { active: number } };
    expect(counts.counts.active).toBe(0);
  });

  it('lets GET through without the headers', async () => {
    const ada = await person('ada@example.com');
    expect((await t.app.inject({ method: 'GET', url: '/dashboard/api/v1/memories', headers: { cookie: ada.cookie } })).statusCode).toBe(200);
  });
});

describe('dashboard memories', () => {
  it('creates, lists (with the author filter), reads, edits and deletes through the mirrored REST routes, as the Dashboard app', async () => {
    const ada = await person('ada@example.com');
    const id = await addMemory(ada, 'Prefers tea to coffee');
    const list = (await dash(ada, 'GET', `/v1/memories?author=${ada.user.id}`)).json() as { memories: { id: string; app: { name: string } }[] };
    expect(list.memories.map((m) => m.id)).toEqual([id]);
    expect(JSON.stringify(list.memories[0])).toContain('Dashboard');
    expect(((await dash(ada, 'GET', '/v1/memories?author=usr_nobody')).json() as { memories: unknown[] }).memories).toEqual([]);
    expect((await dash(ada, 'GET', `/v1/memories/${id}`)).statusCode).toBe(200);
    expect((await dash(ada, 'PATCH', `/v1/memories/${id}`, { content: 'Prefers green tea' })).statusCode).toBe(200);
    expect(((await dash(ada, 'POST', '/v1/memories/search', { query: 'green tea' })).json() as { results: unknown[] }).results).toHaveLength(1);
    const byAuthor = (author: string) => dash(ada, 'POST', '/v1/memories/search', { query: 'green tea', filters: { author } }).then((r) => (r.json() as { results: unknown[] }).results);
    expect(await byAuthor(ada.user.id)).toHaveLength(1);
    expect(await byAuthor('usr_nobody')).toEqual([]);
    expect((await dash(ada, 'DELETE', `/v1/memories/${id}`)).statusCode).toBe(204);
    expect((await dash(ada, 'GET', `/v1/memories/${id}`)).statusCode).toBe(404);
  });

  it('bulk-archives, bulk-deletes and restores (undo), skipping ids that are not the workspace', async () => {
    const ada = await person('ada@example.com');
    const bob = await person('bob@example.com');
    const a = await addMemory(ada, 'one');
    const b = await addMemory(ada, 'two');
    const bobs = await addMemory(bob, 'bob secret');
    const bulk = (ids: string[], state: string, who = ada) => dash(who, 'POST', '/v1/memories/bulk-update', { ids, state });
    expect((await bulk([a, b, bobs], 'archived')).json()).toEqual({ updated: 2 });
    expect(((await dash(ada, 'GET', '/v1/memories/facets')).json() as { counts: unknown }).counts).toEqual({ active: 0, archived: 2, deleted: 0 });
    expect((await bulk([a, b], 'deleted')).json()).toEqual({ updated: 2 });
    expect((await bulk([a, b], 'active')).json()).toEqual({ updated: 2 });
    expect(((await dash(ada, 'GET', '/v1/memories/facets')).json() as { counts: unknown }).counts).toEqual({ active: 2, archived: 0, deleted: 0 });
    // Bob's memory was never touched.
    expect(((await dash(bob, 'GET', `/v1/memories/${bobs}`)).json() as { memory: { state: string } }).memory.state).toBe('active');
    expect((await bulk([], 'archived')).statusCode).toBe(400);
    expect((await bulk(Array.from({ length: 501 }, (_, i) => `mem_${i}`), 'archived')).statusCode).toBe(400);
    expect((await bulk([a], 'gone')).statusCode).toBe(400);
    // Every change is in the audit log, as the dashboard session.
    const log = await t.runtime.services.audit.listForWorkspace(ada.workspace.id, 100);
    expect(log.filter((e) => e.action === 'memory.delete' && e.credentialKind === 'session')).toHaveLength(2);
  });

  it('counts facets per app and author', async () => {
    const ada = await person('ada@example.com');
    await addMemory(ada, 'one');
    const { key } = await t.createKey(ada, { name: 'cursor' });
    await t.addMemory(key, 'two');
    await t.addMemory(key, 'three');
    const facets = (await dash(ada, 'GET', '/v1/memories/facets')).json() as { apps: { name: string; count: number }[]; authors: { userId: string; email: string; count: number }[] };
    expect(facets.apps.map((a) => [a.name, a.count])).toEqual([
      ['cursor', 2],
      ['Dashboard', 1],
    ]);
    expect(facets.authors).toEqual([{ userId: ada.user.id, name: null, email: 'ada@example.com', count: 3 }]);
  });
});

describe('dashboard keys (mirrored)', () => {
  it('creates a key shown once that works on /api, lists and revokes it', async () => {
    const ada = await person('ada@example.com');
    const created = await dash(ada, 'POST', '/v1/keys', { name: 'laptop', scopes: ['memories:read'] });
    expect(created.statusCode, created.body).toBe(201);
    const { key, apiKey } = created.json() as { key: string; apiKey: { id: string } };
    expect((await t.call('GET', '/api/v1/memories', { key })).statusCode).toBe(200);
    const list = (await dash(ada, 'GET', '/v1/keys')).json() as { keys: { id: string }[] };
    expect(JSON.stringify(list)).not.toContain(key);
    expect((await dash(ada, 'DELETE', `/v1/keys/${apiKey.id}`)).statusCode).toBe(204);
    expect((await t.call('GET', '/api/v1/memories', { key })).statusCode).toBe(401);
  });
});

describe('dashboard sessions', () => {
  it('lists the person’s sessions with a device, signs one out and signs out the others', async () => {
    const ada = await person('ada@example.com');
    const ua = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
    const second = { cookie: await signInCookieWithAgent('ada@example.com', ua) };
    const third = { cookie: await signInCookie(t.app, origin, 'ada@example.com') };
    const list = (await dash(ada, 'GET', '/v1/sessions')).json() as { sessions: { id: string; current: boolean; device: string }[] };
    expect(list.sessions).toHaveLength(3);
    expect(list.sessions.filter((s) => s.current)).toHaveLength(1);
    expect(list.sessions.map((s) => s.device)).toContain('Chrome on Linux');
    expect(JSON.stringify(list)).not.toMatch(/token/i);
    const secondId = ((await dash(second, 'GET', '/v1/me')).json() as { session: { id: string } }).session.id;
    expect((await dash(ada, 'DELETE', `/v1/sessions/${secondId}`)).statusCode).toBe(204);
    expect((await dash(second, 'GET', '/v1/me')).statusCode).toBe(401);
    expect((await dash(ada, 'DELETE', `/v1/sessions/${secondId}`)).statusCode).toBe(404);
    expect((await dash(ada, 'POST', '/v1/sessions/revoke-others', {})).json()).toEqual({ revoked: 1 });
    expect((await dash(third, 'GET', '/v1/me')).statusCode).toBe(401);
    expect((await dash(ada, 'GET', '/v1/me')).statusCode).toBe(200);
    const log = await t.runtime.services.audit.listForWorkspace(ada.workspace.id, 100);
    expect(log.filter((e) => e.action === 'session.revoke')).toHaveLength(2);
  });

  it('never shows or ends another person’s session', async () => {
    const ada = await person('ada@example.com');
    const bob = await person('bob@example.com');
    const bobSession = ((await dash(bob, 'GET', '/v1/me')).json() as { session: { id: string } }).session.id;
    const adaList = (await dash(ada, 'GET', '/v1/sessions')).json() as { sessions: { id: string }[] };
    expect(adaList.sessions.map((s) => s.id)).not.toContain(bobSession);
    expect((await dash(ada, 'DELETE', `/v1/sessions/${bobSession}`, undefined, { 'x-cairn-user': bob.user.id })).statusCode).toBe(404);
    expect((await dash(ada, 'POST', '/v1/sessions/revoke-others', { userId: bob.user.id })).json()).toEqual({ revoked: 0 });
    expect((await dash(bob, 'GET', '/v1/me')).statusCode).toBe(200);
  });
});

async function signInCookieWithAgent(email: string, userAgent: string): Promise<string> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/login',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin, 'user-agent': userAgent },
    payload: new URLSearchParams({ email, password: 'correct horse battery staple' }).toString(),
  });
  expect(res.statusCode, res.body).toBe(303);
  const { cookieHeader } = await import('../../testing/accounts.js');
  return cookieHeader(res.headers['set-cookie']);
}
