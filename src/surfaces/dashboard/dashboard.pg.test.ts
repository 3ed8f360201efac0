import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccountUser, signInCookie } from '../../testing/accounts.js';
import { buildTestApp, type TestApp } from '../../testing/build-test-app.js';
import { createTestDatabase, type TestDatabase } from '../../testing/postgres.js';

// The dashboard's own reads and writes on PostgreSQL: better-auth's session rows (timestamps, not text),
// the per-day counts (integer division of BIGINT), facets and the admin summary.

let db: TestDatabase;
let t: TestApp;
let origin: string;

beforeAll(async () => {
  db = await createTestDatabase('dashboard');
  t = await buildTestApp({ databaseUrl: db.url });
  origin = t.runtime.config.http.publicUrl;
});
afterAll(async () => {
  await t.close();
  await db.drop();
});

function dash(cookie: string, method: string, url: string, body?: unknown): Promise<LightMyRequestResponse> {
  const changes = method !== 'GET';
  return t.app.inject({
    method: method as 'GET',
    url: `/dashboard/api${url}`,
    headers: { cookie, ...(changes ? { origin, 'x-cairn-dashboard': '1' } : {}) },
    ...(body !== undefined ? { payload: body as object } : {}),
  });
}

describe('dashboard on PostgreSQL', () => {
  it('lists and ends sessions, counts facets and days, and summarises users', async () => {
    const ada = await createAccountUser(t.runtime.services, 'ada@example.com', { admin: true });
    const cookie = await signInCookie(t.app, origin, 'ada@example.com');
    const other = await signInCookie(t.app, origin, 'ada@example.com');
    const sessions = (await dash(cookie, 'GET', '/v1/sessions')).json() as { sessions: { id: string; current: boolean; createdAt: string; expiresAt: string }[] };
    expect(sessions.sessions).toHaveLength(2);
    expect(Date.parse(sessions.sessions[0]!.expiresAt)).toBeGreaterThan(Date.parse(sessions.sessions[0]!.createdAt));
    expect((await dash(cookie, 'POST', '/v1/sessions/revoke-others', {})).json()).toEqual({ revoked: 1 });
    expect((await dash(other, 'GET', '/v1/me')).statusCode).toBe(401);

    const created = await dash(cookie, 'POST', '/v1/memories', { content: 'on postgres' });
    expect(created.statusCode, created.body).toBe(201);
    const facets = (await dash(cookie, 'GET', '/v1/memories/facets')).json() as { counts: { active: number }; apps: { name: string; count: number }[] };
    expect(facets.counts.active).toBe(1);
    expect(facets.apps).toEqual([expect.objectContaining({ name: 'Dashboard', count: 1 })]);
    const daily = (await dash(cookie, 'GET', '/v1/activity/daily?days=2')).json() as { days: { date: string; count: number }[] };
    // The session sign-out and the memory, both made from the dashboard.
    expect(daily.days).toEqual([expect.objectContaining({ date: new Date(t.clock.now()).toISOString().slice(0, 10), app: expect.objectContaining({ name: 'Dashboard' }), count: 2 })]);
    const users = (await dash(cookie, 'GET', '/v1/admin/users')).json() as { users: { id: string; memoryCount: number }[] };
    expect(users.users.find((u) => u.id === ada.user.id)?.memoryCount).toBe(1);
  });
});
