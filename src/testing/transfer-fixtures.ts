import { afterEach, expect } from 'vitest';
import type { AppAccess } from '../core/users/user.js';
import { buildTestApp, type TestApp } from './build-test-app.js';

// Shared by the export/import tests on SQLite (transfer.test.ts) and PostgreSQL (transfer.pg.test.ts).

export type Owner = Awaited<ReturnType<TestApp['createUser']>>;

/** A maker of test servers (SQLite, each its own), all closed after each test of the file that calls this. */
export function serversClosedAfterEach(): (env?: Record<string, string>) => Promise<TestApp> {
  const open: TestApp[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((t) => t.close()));
  });
  return async (env) => {
    const t = await buildTestApp(env ? { env } : {});
    open.push(t);
    return t;
  };
}

export async function setAccess(t: TestApp, owner: Owner, appName: string, access: AppAccess): Promise<void> {
  const app = (await t.runtime.services.apps.list(owner.workspace.id)).find((a) => a.name === appName)!;
  const changed = await t.runtime.services.apps.setAccess(owner.workspace.id, app.id, access, t.clock.now(), {
    at: t.clock.now(),
    workspaceId: owner.workspace.id,
    userId: owner.user.id,
    credentialKind: 'cli',
    credentialId: null,
    appId: null,
    action: 'app.access',
    targetId: app.id,
    requestId: null,
    detail: null,
  });
  t.runtime.services.appAccess.changed(changed!);
}

export async function exportOf(t: TestApp, key: string): Promise<string> {
  const res = await t.call('GET', '/api/v1/export', { key });
  expect(res.statusCode, res.body).toBe(200);
  expect(res.headers['content-type']).toMatch(/^application\/x-ndjson/);
  return res.body;
}

export function importInto(t: TestApp, key: string, body: string, query = '', type = 'application/x-ndjson') {
  return t.call('POST', `/api/v1/import${query}`, { key, body, headers: { 'content-type': type } });
}

export async function memoryRows(t: TestApp): Promise<number> {
  return Number((await t.runtime.storage.db.selectFrom('memories').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
}

export async function versionRows(t: TestApp): Promise<number> {
  return Number((await t.runtime.storage.db.selectFrom('memory_versions').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
}

/** A workspace with metadata, three apps (one paused), updates, an archived and a deleted memory. */
export async function seeded(t: TestApp): Promise<{ t: TestApp; owner: Owner; key: string }> {
  const owner = await t.createUser('ana@example.com');
  const { key } = await t.createKey(owner, { name: 'test-client' });
  const other = (await t.createKey(owner, { name: 'other-agent' })).key;
  const paused = (await t.createKey(owner, { name: 'paused-agent' })).key;
  const a = await t.addMemory(key, 'Prefers tea to coffee', { topic: 'drinks', nested: { z: 1, a: [2, { y: true, b: null }] } });
  const b = await t.addMemory(other, 'Lives in Lisbon', { topic: 'places' });
  const c = await t.addMemory(paused, 'Works on Cairn');
  const d = await t.addMemory(key, 'Has a cat called Miso');
  await t.addMemory(key, 'Plays the cello');
  t.clock.advance(1000);
  expect((await t.call('PATCH', `/api/v1/memories/${a.id}`, { key, body: { content: 'Prefers green tea to coffee', metadata: { topic: 'drinks', v: 2 } } })).statusCode).toBe(200);
  t.clock.advance(1000);
  expect((await t.call('PATCH', `/api/v1/memories/${b.id}`, { key: other, body: { state: 'archived' } })).statusCode).toBe(200);
  t.clock.advance(1000);
  expect((await t.call('DELETE', `/api/v1/memories/${d.id}`, { key })).statusCode).toBe(204);
  t.clock.advance(1000);
  expect((await t.call('PATCH', `/api/v1/memories/${c.id}`, { key, body: { metadata: { project: 'cairn' } } })).statusCode).toBe(200);
  await setAccess(t, owner, 'paused-agent', 'paused');
  return { t, owner, key };
}

