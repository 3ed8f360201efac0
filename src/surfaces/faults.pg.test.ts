import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../testing/build-test-app.js';
import { createTestDatabase, type TestDatabase } from '../testing/postgres.js';

/**
 * A TCP proxy on 127.0.0.1 between Cairn and PostgreSQL. `cut` is a network partition: open connections
 * are destroyed and the port stops listening, so new connections are refused; `restore` listens again
 * on the same port, as a database coming back would.
 */
interface Proxy {
  readonly port: number;
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

async function startProxy(upstream: { host: string; port: number }): Promise<Proxy> {
  const sockets = new Set<Socket>();
  const track = (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
  };
  const server: Server = createServer((client) => {
    track(client);
    const db = connect(upstream.port, upstream.host);
    track(db);
    client.pipe(db);
    db.pipe(client);
    client.on('close', () => db.destroy());
    db.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const stopListening = () => new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
  return {
    port,
    async cut() {
      const closed = stopListening();
      for (const s of sockets) s.destroy();
      await closed;
    },
    restore: () => new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', () => resolve())),
    async close() {
      const closed = stopListening();
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}

let database: TestDatabase;
let proxy: Proxy;
let t: TestApp;
let warmKey: string;
let coldKey: string;

beforeAll(async () => {
  database = await createTestDatabase('cairn_faults');
  const direct = new URL(database.url);
  proxy = await startProxy({ host: direct.hostname, port: Number(direct.port || 5432) });
  const viaProxy = new URL(database.url);
  viaProxy.hostname = '127.0.0.1';
  viaProxy.port = String(proxy.port);
  t = await buildTestApp({ databaseUrl: viaProxy.toString() });
  const owner = await t.createUser('ada@example.com');
  warmKey = (await t.createKey(owner, { name: 'warm-client' })).key;
  coldKey = (await t.createKey(owner, { name: 'cold-client' })).key;
});
afterAll(async () => {
  await proxy?.restore().catch(() => undefined);
  await t?.close();
  await proxy?.close();
  await database?.drop();
});

function expectUnavailable(res: Awaited<ReturnType<TestApp['call']>>) {
  expect(res.statusCode).toBe(503);
  expect(res.headers['retry-after']).toBeDefined();
  expect(res.headers['content-type']).toMatch(/application\/json/);
  const body = res.json() as { error: { code: string; message: string; requestId: string } };
  expect(body.error.code).toBe('UNAVAILABLE');
  expect(body.error.requestId).toMatch(/^req_/);
  // 5xx shows the generic text: nothing about hosts, ports or drivers leaks.
  expect(body.error.message).not.toMatch(/ECONN|127\.0\.0\.1|postgres|5432/i);
}

describe('PostgreSQL unreachable behind a cut TCP proxy, then back', () => {
  it('serves normally through the proxy before the cut', async () => {
    // The warm key is verified once here, so the verifier has it cached for the outage.
    expect((await t.call('GET', '/api/v1/memories', { key: warmKey })).statusCode).toBe(200);
    expect((await t.call('POST', '/api/v1/memories', { key: warmKey, body: { content: 'before the outage' } })).statusCode).toBe(201);
    expect((await t.call('GET', '/readyz')).statusCode).toBe(200);
  });

  it('answers 503 with the JSON envelope and retry-after on data routes while the database is cut off', async () => {
    await proxy.cut();
    const started = Date.now();
    expectUnavailable(await t.call('GET', '/api/v1/memories', { key: warmKey }));
    expectUnavailable(await t.call('POST', '/api/v1/memories', { key: warmKey, body: { content: 'during the outage' } }));
    expectUnavailable(await t.call('POST', '/api/v1/memories/search', { key: warmKey, body: { query: 'outage' } }));
    expectUnavailable(await t.call('GET', '/api/v1/me', { key: warmKey }));
    // Refused connections fail fast: no request waited for a connect timeout.
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it('fails closed for a key that is not in the verification cache: 503, never 401 and never 200', async () => {
    const res = await t.call('GET', '/api/v1/memories', { key: coldKey });
    expectUnavailable(res);
    expect(res.headers['www-authenticate']).toBeUndefined();
  });

  it('reports not ready on /readyz', async () => {
    const res = await t.call('GET', '/readyz');
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ status: 'unavailable' });
  });

  it('recovers without a restart once the database is reachable again', async () => {
    await proxy.restore();
    expect((await t.call('GET', '/readyz')).statusCode).toBe(200);
    const list = await t.call('GET', '/api/v1/memories', { key: warmKey });
    expect(list.statusCode).toBe(200);
    expect((list.json() as { memories: { content: string }[] }).memories.map((m) => m.content)).toEqual(['before the outage']);
    // The cold key was never cached as unknown during the outage: it authenticates now.
    expect((await t.call('GET', '/api/v1/memories', { key: coldKey })).statusCode).toBe(200);
    expect((await t.call('POST', '/api/v1/memories', { key: warmKey, body: { content: 'after the outage' } })).statusCode).toBe(201);
    const search = await t.call('POST', '/api/v1/memories/search', { key: coldKey, body: { query: 'outage' } });
    expect(search.statusCode).toBe(200);
  });
});
