import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CompiledQuery, DatabaseConnection, Dialect, Driver, QueryResult, TransactionSettings } from 'kysely';
import type { LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../app.js';
import { ManualClock } from '../core/clock.js';
import { createLogger } from '../logging.js';
import { openRuntime } from '../runtime.js';
import { buildTestApp, TEST_SECRET, type TestApp } from '../testing/build-test-app.js';
import { createFaultSwitch } from '../testing/faulty-dialect.js';
import { authenticatedRoutes } from './rest/routes.js';

// The database goes away and comes back: every surface answers 503 (never 401, 200 or 500) while it is
// gone, and works again afterwards without a restart.

let t: TestApp;
let key: string;

beforeEach(async () => {
  t = await buildTestApp();
});
afterEach(async () => t.close());

interface Fixture {
  key: string;
  /** Created but never presented, so it is not in the verification cache. */
  uncachedKey: string;
  spareKeyId: string;
  kept: string;
  bulk: string;
  grantId: string;
  oauthClientId: string;
}

async function fixture(): Promise<Fixture> {
  const owner = await t.createUser('ada@example.com');
  ({ key } = await t.createKey(owner));
  const uncachedKey = (await t.createKey(owner, { name: 'never used' })).key;
  const spareKeyId = (await t.createKey(owner, { name: 'spare' })).id;
  const add = async (content: string) => ((await t.call('POST', '/api/v1/memories', { key, body: { content } })).json() as { memory: { id: string } }).memory.id;
  const { oauth, apps } = t.runtime.services;
  const party = { userId: owner.user.id, workspaceId: owner.workspace.id };
  const byTest = { kind: 'cli', credentialId: null } as const;
  const app = await apps.ensure(party.workspaceId, 'connected app', t.clock.now());
  await oauth.grants.record({ id: 'grant_faults', ...party, appId: app.id, clientId: 'faults-client', clientName: 'Faults client', scopes: ['memories:read'] }, byTest);
  const oauthClientId = (await oauth.clients.create(party, { name: 'machine', scopes: ['memories:read'] }, byTest)).clientId;
  return { key, uncachedKey, spareKeyId, kept: await add('Keeps bees on the roof'), bulk: await add('Grows basil in the kitchen'), grantId: 'grant_faults', oauthClientId };
}

/** Every authenticated REST route, in an order in which all of them succeed when the database is up. */
function dataRoutes(f: Fixture): [method: string, url: string, body?: unknown][] {
  return [
    ['POST', '/api/v1/memories', { content: 'Written after the outage' }],
    ['GET', '/api/v1/memories'],
    ['POST', '/api/v1/memories/search', { query: 'bees' }],
    ['GET', `/api/v1/memories/${f.kept}`],
    ['GET', `/api/v1/memories/${f.kept}/history`],
    ['GET', '/api/v1/export'],
    ['POST', '/api/v1/import', { results: [{ memory: 'Imported after the outage' }] }],
    ['PATCH', `/api/v1/memories/${f.kept}`, { metadata: { hives: 2 } }],
    ['POST', '/api/v1/memories/bulk-delete', { ids: [f.bulk] }],
    ['DELETE', `/api/v1/memories/${f.kept}`],
    ['GET', '/api/v1/keys'],
    ['POST', '/api/v1/keys', { name: 'made after', scopes: ['memories:read'] }],
    ['POST', `/api/v1/keys/${f.spareKeyId}/rotate`, { gracePeriodSeconds: 60 }],
    ['DELETE', `/api/v1/keys/${f.spareKeyId}`],
    ['GET', '/api/v1/connections'],
    ['DELETE', `/api/v1/connections/${f.grantId}`],
    ['GET', '/api/v1/oauth-clients'],
    ['POST', '/api/v1/oauth-clients', { name: 'made after', scopes: ['memories:read'] }],
    ['POST', `/api/v1/oauth-clients/${f.oauthClientId}/rotate-secret`, {}],
    ['DELETE', `/api/v1/oauth-clients/${f.oauthClientId}`],
    ['GET', '/api/v1/me'],
  ];
}

function expectUnavailable(res: LightMyRequestResponse, what: string): void {
  expect(res.statusCode, what).toBe(503);
  expect(res.headers['retry-after'], what).toBe('5');
  expect(res.json(), what).toMatchObject({ error: { code: 'UNAVAILABLE', requestId: expect.stringMatching(/^req_/) } });
  // The driver's error text (addresses, "ECONNREFUSED") stays in the log.
  expect(res.body, what).not.toContain('ECONNREFUSED');
}

const TOOL_CALL = { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'search_memory', arguments: { query: 'bees' } } };

function mcpCall(withKey: string, payload: unknown = TOOL_CALL) {
  return t.app.inject({
    method: 'POST',
    url: '/mcp',
    payload: payload as object,
    headers: {
      authorization: `Bearer ${withKey}`,
      host: '127.0.0.1:8787',
      accept: 'application/json, text/event-stream',
      'content-type': 'application/json',
      'mcp-protocol-version': '2025-06-18',
    },
  });
}

describe('database outage: REST', () => {
  it('answers every data route with 503 + retry-after while down, and succeeds once it is back', async () => {
    const f = await fixture();
    const routes = dataRoutes(f);
    expect(routes).toHaveLength(authenticatedRoutes.length);

    t.faults.down();
    for (const [method, url, body] of routes) expectUnavailable(await t.call(method, url, { key, body }), `${method} ${url}`);

    t.faults.up();
    for (const [method, url, body] of routes) {
      const res = await t.call(method, url, { key, body });
      expect(res.statusCode, `${method} ${url}: ${res.body}`).toBeGreaterThanOrEqual(200);
      expect(res.statusCode, `${method} ${url}: ${res.body}`).toBeLessThan(300);
    }
  });

  it('fails closed: a key that is not in the verification cache gets 503, never 401 or 200', async () => {
    const f = await fixture();
    t.faults.down();
    expectUnavailable(await t.call('GET', '/api/v1/memories', { key: f.uncachedKey }), 'REST, uncached key');
    const mcp = await mcpCall(f.uncachedKey);
    expect(mcp.statusCode).toBe(503);
    expect(mcp.headers['retry-after']).toBe('5');
    t.faults.up();
    expect((await t.call('GET', '/api/v1/memories', { key: f.uncachedKey })).statusCode).toBe(200);
  });

  it('still rejects a malformed key with 401: no lookup is needed to know it is wrong', async () => {
    await fixture();
    t.faults.down();
    const res = await t.call('GET', '/api/v1/memories', { key: 'cairn_sk_tooshort' });
    expect(res.statusCode).toBe(401);
  });
});

describe('database outage: MCP', () => {
  it('turns a tool call that reaches the store into HTTP 503 with a JSON-RPC error, then recovers', async () => {
    const f = await fixture();
    // Present the key once so it is cached: the outage then first shows inside the tool, not in authentication.
    expect((await mcpCall(f.key)).statusCode).toBe(200);

    t.faults.down();
    const down = await mcpCall(f.key);
    expect(down.statusCode).toBe(503);
    expect(down.headers['retry-after']).toBe('5');
    expect(down.json()).toMatchObject({ jsonrpc: '2.0', id: 7, error: { code: -32603, data: { code: 'UNAVAILABLE' } } });

    t.faults.up();
    const up = await mcpCall(f.key);
    expect(up.statusCode).toBe(200);
    expect(up.body).toContain(f.kept);
  });
});

describe('database outage: health', () => {
  it('/readyz is 503 while /healthz stays 200, and /readyz recovers', async () => {
    expect((await t.call('GET', '/readyz')).statusCode).toBe(200);
    t.faults.down();
    const ready = await t.call('GET', '/readyz');
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({ status: 'unavailable', reason: 'database unreachable' });
    expect((await t.call('GET', '/healthz')).statusCode).toBe(200);
    t.faults.up();
    expect((await t.call('GET', '/readyz')).statusCode).toBe(200);
  });
});

/**
 * A dialect that runs `onQuery` after each statement succeeds, so a test can cut the database at an exact
 * point inside a transaction (here: right after the first row of a batch was written).
 */
function afterEachQuery(inner: Dialect, onQuery: (sql: string) => void): Dialect {
  class Connection implements DatabaseConnection {
    constructor(readonly inner: DatabaseConnection) {}
    async executeQuery<R>(q: CompiledQuery): Promise<QueryResult<R>> {
      const result = await this.inner.executeQuery<R>(q);
      onQuery(q.sql);
      return result;
    }
    streamQuery<R>(q: CompiledQuery, chunk?: number): AsyncIterableIterator<QueryResult<R>> {
      return this.inner.streamQuery<R>(q, chunk);
    }
  }
  const unwrap = (c: DatabaseConnection) => (c instanceof Connection ? c.inner : c);
  const driverOf = (d: Driver): Driver => ({
    init: () => d.init(),
    acquireConnection: async () => new Connection(await d.acquireConnection()),
    beginTransaction: (c: DatabaseConnection, s: TransactionSettings) => d.beginTransaction(unwrap(c), s),
    commitTransaction: (c: DatabaseConnection) => d.commitTransaction(unwrap(c)),
    rollbackTransaction: (c: DatabaseConnection) => d.rollbackTransaction(unwrap(c)),
    releaseConnection: (c: DatabaseConnection) => d.releaseConnection(unwrap(c)),
    destroy: () => d.destroy(),
  });
  return {
    createAdapter: () => inner.createAdapter(),
    createIntrospector: (db) => inner.createIntrospector(db),
    createQueryCompiler: () => inner.createQueryCompiler(),
    createDriver: () => driverOf(inner.createDriver()),
  };
}

describe('database outage: no half-written writes', () => {
  it('a batch cut off after its first row is rolled back: after recovery none of it exists, nor its audit entries', async () => {
    const faults = createFaultSwitch();
    let armed = false;
    const dataDir = mkdtempSync(join(tmpdir(), 'cairn-fault-'));
    const runtime = await openRuntime({
      env: { CAIRN_DATA_DIR: dataDir, CAIRN_DATABASE_URL: 'sqlite::memory:', CAIRN_SECRET: TEST_SECRET, CAIRN_LOG_LEVEL: 'silent' },
      migrate: 'always',
      clock: new ManualClock(Date.UTC(2026, 0, 1, 12)),
      logger: createLogger('silent'),
      storageOptions: {
        wrapDialect: (d) =>
          faults.wrap(
            afterEachQuery(d, (sql) => {
              // The first memory of the batch and its audit row are written; the database goes away before the second.
              if (armed && sql.startsWith('insert into "audit_log"')) {
                armed = false;
                faults.down();
              }
            }),
          ),
      },
    });
    const app = await buildApp({ config: runtime.config, services: runtime.services, logger: runtime.logger });
    try {
      const owner = await runtime.services.users.create({ email: 'ada@example.com' });
      const { key: k } = await runtime.services.apiKeys.create({ userId: owner.user.id, workspaceId: owner.workspace.id }, { name: 'cli', scopes: ['admin'] }, { kind: 'cli', credentialId: null });
      const headers = { authorization: `Bearer ${k}` };
      expect((await app.inject({ method: 'GET', url: '/api/v1/memories', headers })).statusCode).toBe(200);

      armed = true;
      const res = await app.inject({ method: 'POST', url: '/api/v1/memories', headers, payload: { memories: [{ content: 'first' }, { content: 'second' }, { content: 'third' }] } });
      expect(res.statusCode).toBe(503);
      expect(faults.isDown).toBe(true);

      faults.up();
      const memories = await runtime.storage.db.selectFrom('memories').select('content').execute();
      expect(memories).toEqual([]);
      const created = await runtime.storage.db.selectFrom('audit_log').select('id').where('action', '=', 'memory.create').execute();
      expect(created).toEqual([]);

      // And the same batch goes through whole once the database is back.
      const retry = await app.inject({ method: 'POST', url: '/api/v1/memories', headers, payload: { memories: [{ content: 'first' }, { content: 'second' }, { content: 'third' }] } });
      expect(retry.statusCode).toBe(201);
      expect((await runtime.storage.db.selectFrom('memories').select('content').execute()).map((m) => m.content).sort()).toEqual(['first', 'second', 'third']);
    } finally {
      faults.up();
      await app.close();
      await runtime.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('an edit refused during the outage leaves the memory as it was', async () => {
    const f = await fixture();
    t.faults.down();
    expectUnavailable(await t.call('PATCH', `/api/v1/memories/${f.kept}`, { key, body: { content: 'Keeps wasps on the roof' } }), 'PATCH');
    expectUnavailable(await t.call('DELETE', `/api/v1/memories/${f.kept}`, { key }), 'DELETE');
    t.faults.up();
    const res = await t.call('GET', `/api/v1/memories/${f.kept}`, { key });
    expect(res.json()).toMatchObject({ memory: { content: 'Keeps bees on the roof', state: 'active' } });
  });
});
