import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { Logger } from 'pino';
import { buildApp } from '../app.js';
import { ManualClock } from '../core/clock.js';
import type { Scope } from '../core/scopes.js';
import type { Embedder } from '../core/search/embedder.js';
import type { User, Workspace } from '../core/users/user.js';
import { createLogger } from '../logging.js';
import { openRuntime, type Runtime } from '../runtime.js';
import type { MemoryView } from '../surfaces/rest/views.js';
import { createFaultSwitch, type FaultSwitch } from './faulty-dialect.js';

export const TEST_SECRET = 'test-secret-test-secret-test-secret-0123456789';
export const ALL_SCOPES: Scope[] = ['memories:read', 'memories:write', 'memories:delete', 'admin'];

export interface TestApp {
  readonly app: FastifyInstance;
  readonly runtime: Runtime;
  readonly clock: ManualClock;
  /** Cut and restore the database at the driver boundary (SQLite fault tests). */
  readonly faults: FaultSwitch;
  /** Every route the app registered (one entry per method), for tests that must cover them all. */
  readonly routes: readonly RegisteredRoute[];
  createUser(email: string, opts?: { admin?: boolean }): Promise<{ user: User; workspace: Workspace }>;
  /** Creates a key directly through the service (as the CLI does) and returns the plaintext. */
  createKey(owner: { user: User; workspace: Workspace }, opts?: { name?: string; scopes?: Scope[]; expiresAt?: number | null }): Promise<{ key: string; id: string }>;
  /**
   * Adds one memory over REST one second after the previous one (so creation order is unambiguous) and
   * returns it; fails the test unless the memory was newly created.
   */
  addMemory(key: string, content: string, metadata?: Record<string, unknown>): Promise<MemoryView>;
  /** `app.inject` with a Bearer key and JSON body. */
  call(method: string, url: string, opts?: { key?: string; body?: unknown; headers?: Record<string, string> }): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export interface RegisteredRoute {
  readonly method: string;
  readonly url: string;
}

export interface TestAppOptions {
  /** Defaults to an in-memory SQLite database; pass a postgres:// URL for the PostgreSQL suite. */
  readonly databaseUrl?: string;
  readonly env?: Record<string, string>;
  /** Turns on hybrid search and the embedding queue (the worker is not started: tests drain it). */
  readonly embedder?: Embedder;
  /** A built dashboard folder to serve (default: this package's web/dist, usually absent in tests). */
  readonly webDist?: string;
  /** Where the app logs (default: nowhere); tests that check what reaches the log pass a capturing one. */
  readonly logger?: Logger;
}

/**
 * A real Cairn app (real config loading, migrations, services and surfaces) on in-memory SQLite with a
 * manual clock, driven by `inject()`: no port, no network.
 */
export async function buildTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const dataDir = mkdtempSync(join(tmpdir(), 'cairn-test-'));
  const clock = new ManualClock(Date.UTC(2026, 0, 1, 12));
  const faults = createFaultSwitch();
  const runtime = await openRuntime({
    env: {
      CAIRN_DATA_DIR: dataDir,
      CAIRN_DATABASE_URL: options.databaseUrl ?? 'sqlite::memory:',
      CAIRN_SECRET: TEST_SECRET,
      CAIRN_LOG_LEVEL: 'silent',
      ...options.env,
    },
    migrate: 'always',
    clock,
    logger: options.logger ?? createLogger('silent'),
    storageOptions: { wrapDialect: faults.wrap },
    ...(options.embedder ? { embedder: options.embedder } : {}),
  });
  const routes: RegisteredRoute[] = [];
  const app = await buildApp({
    config: runtime.config,
    services: runtime.services,
    logger: runtime.logger,
    ...(options.webDist ? { webDist: options.webDist } : {}),
    onRoute: (route) => {
      for (const method of [route.method].flat()) routes.push({ method, url: route.url });
    },
  });
  await app.ready();
  const call: TestApp['call'] = (method, url, opts = {}) => {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.key) headers.authorization = `Bearer ${opts.key}`;
    return app.inject({
      method: method as 'GET',
      url,
      headers,
      ...(opts.body !== undefined ? { payload: opts.body as object } : {}),
    });
  };
  return {
    app,
    runtime,
    clock,
    faults,
    routes,
    createUser: (email, opts) => runtime.services.users.create({ email, isAdmin: opts?.admin ?? false }),
    async createKey(owner, opts = {}) {
      const { key, view } = await runtime.services.apiKeys.create(
        { userId: owner.user.id, workspaceId: owner.workspace.id },
        { name: opts.name ?? 'test-client', scopes: opts.scopes ?? ALL_SCOPES, expiresAt: opts.expiresAt ?? null },
        { kind: 'cli', credentialId: null },
      );
      return { key, id: view.id };
    },
    async addMemory(key, content, metadata) {
      clock.advance(1000);
      const res = await call('POST', '/api/v1/memories', { key, body: { content, ...(metadata ? { metadata } : {}) } });
      if (res.statusCode !== 201) throw new Error(`adding a memory answered ${res.statusCode}: ${res.body}`);
      return (res.json() as { memory: MemoryView }).memory;
    },
    call,
    async close() {
      faults.up();
      await app.close();
      await runtime.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
