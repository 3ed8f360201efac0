import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../logging.js';
import { openRuntime } from '../../runtime.js';
import { buildTestApp, TEST_SECRET, type TestApp } from '../../testing/build-test-app.js';
import { dashboardPerson, dashboardRequest } from '../../testing/dashboard.js';
import type { AuditEvent } from '../audit/audit.js';
import { ManualClock } from '../clock.js';
import type { Principal } from '../principal.js';
import { DAY_MS, RetentionSweeper, type RetentionStore } from './retention.js';

const errorOf = (res: { json(): unknown }) => (res.json() as { error: { code: string; message: string; details?: Record<string, unknown> } }).error;

describe('deleted memories: restorable within CAIRN_DELETED_RETENTION_DAYS, by time, before any sweep', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await buildTestApp({ env: { CAIRN_DELETED_RETENTION_DAYS: '7' } });
  });
  afterEach(async () => t.close());

  it('restores a memory deleted up to 7 days ago and answers 404 after that, on REST and in the dashboard', async () => {
    const owner = await t.createUser('ada@example.com');
    const { key } = await t.createKey(owner);
    const early = await t.addMemory(key, 'restored in time');
    const late = await t.addMemory(key, 'restored too late');
    for (const m of [early, late]) expect((await t.call('DELETE', `/api/v1/memories/${m.id}`, { key })).statusCode).toBe(204);

    // Exactly seven days after the deletion: still restorable.
    t.clock.advance(7 * DAY_MS);
    const restored = await t.call('PATCH', `/api/v1/memories/${early.id}`, { key, body: { state: 'active' } });
    expect(restored.statusCode).toBe(200);
    expect((restored.json() as { memory: { state: string } }).memory.state).toBe('active');

    t.clock.advance(1);
    const refused = await t.call('PATCH', `/api/v1/memories/${late.id}`, { key, body: { state: 'active' } });
    expect(refused.statusCode).toBe(404);
    expect(errorOf(refused)).toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('more than 7 days ago'), details: { reason: 'retention_expired' } });
    // Archiving it is a restore too (out of deleted): also refused. The memory is still deleted, and no sweep has run.
    expect((await t.call('PATCH', `/api/v1/memories/${late.id}`, { key, body: { state: 'archived' } })).statusCode).toBe(404);
    const row = await t.runtime.storage.db.selectFrom('memories').select('state').where('id', '=', late.id).executeTakeFirstOrThrow();
    expect(row.state).toBe('deleted');
  });

  it('lists and finds a deleted memory only while it can be restored', async () => {
    const owner = await t.createUser('ada@example.com');
    const { key } = await t.createKey(owner);
    const old = await t.addMemory(key, 'deleted long ago about zebras');
    await t.call('DELETE', `/api/v1/memories/${old.id}`, { key });
    t.clock.advance(5 * DAY_MS);
    const recent = await t.addMemory(key, 'deleted lately about zebras');
    await t.call('DELETE', `/api/v1/memories/${recent.id}`, { key });
    const listed = async () => ((await t.call('GET', '/api/v1/memories?state=deleted', { key })).json() as { memories: { id: string }[] }).memories.map((m) => m.id);
    const found = async () =>
      ((await t.call('POST', '/api/v1/memories/search', { key, body: { query: 'zebras', filters: { state: 'deleted' } } })).json() as { results: { memory: { id: string } }[] }).results.map((r) => r.memory.id);
    expect((await listed()).sort()).toEqual([old.id, recent.id].sort());
    expect((await found()).sort()).toEqual([old.id, recent.id].sort());
    t.clock.advance(2 * DAY_MS + 1);
    expect(await listed()).toEqual([recent.id]);
    expect(await found()).toEqual([recent.id]);
  });

  it('counts a deleted memory in the dashboard’s state totals only while it can be restored', async () => {
    const ada = await dashboardPerson(t, 'ada@example.com');
    const dash = (method: string, url: string, body?: unknown) => dashboardRequest(t, ada, method, url, body);
    const totals = async () => ((await dash('GET', '/v1/memories/facets')).json() as { counts: Record<string, number> }).counts;
    const old = (await dash('POST', '/v1/memories', { content: 'deleted long ago' })).json() as { memory: { id: string } };
    await dash('POST', '/v1/memories/bulk-update', { ids: [old.memory.id], state: 'deleted' });
    t.clock.advance(5 * DAY_MS);
    const recent = (await dash('POST', '/v1/memories', { content: 'deleted lately' })).json() as { memory: { id: string } };
    await dash('POST', '/v1/memories/bulk-update', { ids: [recent.memory.id], state: 'deleted' });
    await dash('POST', '/v1/memories', { content: 'still here' });
    expect(await totals()).toEqual({ active: 1, archived: 0, deleted: 2 });
    t.clock.advance(2 * DAY_MS + 1);
    // No sweep has run: the old one is still a row, but no longer restorable, so no longer counted.
    expect(await totals()).toEqual({ active: 1, archived: 0, deleted: 1 });
    // The service's counts (the store's other state total) follow the same rule.
    const dashboardApp = await t.runtime.services.apps.ensure(ada.workspace.id, 'Dashboard', t.clock.now());
    const reader: Principal = { userId: ada.user.id, workspaceId: ada.workspace.id, scopes: new Set(['memories:read']), credential: { kind: 'session', id: 'test' }, appId: dashboardApp.id };
    expect(await t.runtime.services.memories.counts(reader)).toEqual({ active: 1, archived: 0, deleted: 1 });
    const row = await t.runtime.storage.db.selectFrom('memories').select('state').where('id', '=', old.memory.id).executeTakeFirstOrThrow();
    expect(row.state).toBe('deleted');
  });

  it('refuses to edit a deleted memory, so an edit cannot push its deletion time (and its purge) back', async () => {
    const owner = await t.createUser('ada@example.com');
    const { key } = await t.createKey(owner);
    const m = await t.addMemory(key, 'deleted then edited');
    await t.call('DELETE', `/api/v1/memories/${m.id}`, { key });
    t.clock.advance(6 * DAY_MS);
    expect((await t.call('PATCH', `/api/v1/memories/${m.id}`, { key, body: { metadata: { touched: true } } })).statusCode).toBe(404);
    expect((await t.call('PATCH', `/api/v1/memories/${m.id}`, { key, body: { state: 'deleted' } })).statusCode).toBe(404);
    t.clock.advance(DAY_MS + 1);
    expect((await t.call('PATCH', `/api/v1/memories/${m.id}`, { key, body: { state: 'active' } })).statusCode).toBe(404);
  });

  it('skips expired memories in the dashboard’s bulk restore (the undo) and restores the others', async () => {
    const ada = await dashboardPerson(t, 'ada@example.com');
    const dash = (method: string, url: string, body?: unknown) => dashboardRequest(t, ada, method, url, body);
    const old = (await dash('POST', '/v1/memories', { content: 'deleted long ago' })).json() as { memory: { id: string } };
    await dash('POST', '/v1/memories/bulk-update', { ids: [old.memory.id], state: 'deleted' });
    t.clock.advance(5 * DAY_MS);
    const recent = (await dash('POST', '/v1/memories', { content: 'deleted lately' })).json() as { memory: { id: string } };
    await dash('POST', '/v1/memories/bulk-update', { ids: [recent.memory.id], state: 'deleted' });
    t.clock.advance(3 * DAY_MS);
    const undo = await dash('POST', '/v1/memories/bulk-update', { ids: [old.memory.id, recent.memory.id], state: 'active' });
    expect(undo.json()).toEqual({ updated: 1 });
    expect(((await dash('GET', `/v1/memories/${recent.memory.id}`)).json() as { memory: { state: string } }).memory.state).toBe('active');
    expect((await dash('GET', `/v1/memories/${old.memory.id}`)).statusCode).toBe(404);
  });
});

describe('the retention sweep', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await buildTestApp({ env: { CAIRN_DELETED_RETENTION_DAYS: '7', CAIRN_AUDIT_RETENTION_DAYS: '30' } });
  });
  afterEach(async () => t.close());

  const auditRows = () => t.runtime.storage.db.selectFrom('audit_log').select(['action', 'at', 'target_id', 'detail']).orderBy('id').execute();

  it('erases exactly the memories deleted more than 7 days ago and the audit events older than 30 days, and records one retention.purge', async () => {
    const owner = await t.createUser('ada@example.com');
    const { key } = await t.createKey(owner);
    const gone = await t.addMemory(key, 'deleted early');
    const kept = await t.addMemory(key, 'deleted lately');
    const live = await t.addMemory(key, 'never deleted');
    expect((await t.call('PATCH', `/api/v1/memories/${live.id}`, { key, body: { content: 'never deleted, edited' } })).statusCode).toBe(200);
    await t.call('DELETE', `/api/v1/memories/${gone.id}`, { key });
    t.clock.advance(25 * DAY_MS);
    await t.call('DELETE', `/api/v1/memories/${kept.id}`, { key });
    t.clock.advance(6 * DAY_MS);
    const recentAt = t.clock.now();
    await t.call('GET', `/api/v1/memories/${live.id}`, { key });
    await t.runtime.services.accessLog.flush();
    const before = await auditRows();
    const oldEvents = before.filter((r) => Number(r.at) < recentAt - 30 * DAY_MS);
    expect(oldEvents.length).toBeGreaterThan(3);

    const report = await t.runtime.services.retention.sweep();
    expect(report).toEqual({ memories: 1, memoriesDeletedBefore: recentAt - 7 * DAY_MS, auditEvents: oldEvents.length, auditBefore: recentAt - 30 * DAY_MS });

    expect((await t.call('GET', `/api/v1/memories/${gone.id}/history`, { key })).statusCode).toBe(404);
    expect((await t.runtime.storage.db.selectFrom('memories').select('id').where('id', '=', gone.id).execute())).toEqual([]);
    // The survivors keep their history; the recently deleted one can still be restored.
    const history = (await t.call('GET', `/api/v1/memories/${live.id}/history`, { key })).json() as { versions: { action: string }[] };
    expect(history.versions.map((v) => v.action)).toEqual(['update', 'create']);
    expect((await t.call('PATCH', `/api/v1/memories/${kept.id}`, { key, body: { state: 'active' } })).statusCode).toBe(200);

    const after = await auditRows();
    expect(after.filter((r) => Number(r.at) < recentAt - 30 * DAY_MS)).toEqual([]);
    const purges = after.filter((r) => r.action === 'retention.purge');
    expect(purges).toHaveLength(1);
    expect(JSON.parse(purges[0]!.detail!)).toEqual({ memories: 1, auditEvents: oldEvents.length, deletedRetentionDays: 7, auditRetentionDays: 30 });
    expect(after.length).toBe(before.length - oldEvents.length + 1 + 1 /* the restore */);

    // Nothing left to purge: no second event.
    expect(await t.runtime.services.retention.sweep()).toMatchObject({ memories: 0, auditEvents: 0 });
    expect((await auditRows()).filter((r) => r.action === 'retention.purge')).toHaveLength(1);
  });

  it('keeps audit events forever with CAIRN_AUDIT_RETENTION_DAYS=0', async () => {
    const forever = await buildTestApp({ env: { CAIRN_AUDIT_RETENTION_DAYS: '0' } });
    try {
      const owner = await forever.createUser('ada@example.com');
      const { key } = await forever.createKey(owner);
      await forever.addMemory(key, 'an old memory');
      forever.clock.advance(10_000 * DAY_MS);
      const count = async () => (await forever.runtime.storage.db.selectFrom('audit_log').select('id').execute()).length;
      const n = await count();
      expect(await forever.runtime.services.retention.sweep()).toEqual({ memories: 0, memoriesDeletedBefore: forever.clock.now() - 30 * DAY_MS, auditEvents: 0, auditBefore: null });
      expect(await count()).toBe(n);
    } finally {
      await forever.close();
    }
  });
});

describe('RetentionSweeper schedule', () => {
  const noEvents = { append: async (_: readonly AuditEvent[]) => undefined };
  const policy = { deletedMemoryDays: 30, auditDays: 365 };
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('sweeps shortly after start, then on every interval; a failed sweep is reported and the next one runs anyway; close stops it', async () => {
    let calls = 0;
    const errors: unknown[] = [];
    const store: RetentionStore = {
      purgeDeletedMemories: async () => {
        calls += 1;
        if (calls === 2) throw new Error('database down');
        return 0;
      },
      purgeAuditEvents: async () => 0,
    };
    const sweeper = new RetentionSweeper(store, noEvents, new ManualClock(), policy, { onError: (err) => errors.push(err) });
    sweeper.start(5, 20);
    await sleep(120);
    await sweeper.close();
    const seen = calls;
    expect(seen).toBeGreaterThanOrEqual(3);
    expect(errors).toHaveLength(1);
    expect((errors[0] as Error).message).toBe('database down');
    await sleep(60);
    expect(calls).toBe(seen);
  });

  it('works through full batches until one comes back short, and records the totals in one event', async () => {
    const batches = [3, 3, 1];
    const events: AuditEvent[] = [];
    const store: RetentionStore = { purgeDeletedMemories: async () => batches.shift() ?? 0, purgeAuditEvents: async () => 0 };
    const sweeper = new RetentionSweeper(store, { append: async (e) => void events.push(...e) }, new ManualClock(1000), policy, { batchSize: 3 });
    expect(await sweeper.sweep('cli')).toMatchObject({ memories: 7, auditEvents: 0 });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ action: 'retention.purge', workspaceId: null, credentialKind: 'cli', at: 1000, detail: { memories: 7, auditEvents: 0 } });
  });
});

describe('the server runs the sweep', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cairn-retention-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('from services.start(), on the injected schedule', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const runtime = await openRuntime({
      env: { CAIRN_DATA_DIR: dir, CAIRN_SECRET: TEST_SECRET, CAIRN_LOG_LEVEL: 'silent', CAIRN_DELETED_RETENTION_DAYS: '1' },
      migrate: 'always',
      logger: createLogger('silent'),
      clock,
      retentionSchedule: { firstDelayMs: 10, intervalMs: 10 },
    });
    try {
      const { services } = runtime;
      const owner = await services.users.create({ email: 'ada@example.com' });
      const { key } = await services.apiKeys.create({ userId: owner.user.id, workspaceId: owner.workspace.id }, { name: 'seed', scopes: ['memories:write', 'memories:delete'], expiresAt: null }, { kind: 'cli', credentialId: null });
      const principal = ((await services.verifier.verify(key)) as { principal: Principal }).principal;
      const { memory } = await services.memories.add(principal, { content: 'to be purged by the server' });
      await services.memories.delete(principal, memory.id);
      clock.advance(DAY_MS + 1);
      services.start();
      const exists = async () => (await runtime.storage.db.selectFrom('memories').select('id').where('id', '=', memory.id).execute()).length > 0;
      for (let i = 0; i < 100 && (await exists()); i++) await new Promise((r) => setTimeout(r, 20));
      expect(await exists()).toBe(false);
    } finally {
      await runtime.close();
    }
  });
});
