import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../app.js';
import type { User, Workspace } from '../core/users/user.js';
import { createLogger } from '../logging.js';
import { openRuntime, type Runtime } from '../runtime.js';
import { TEST_SECRET } from './build-test-app.js';

/**
 * A real Cairn server listening on 127.0.0.1 with the system clock (OAuth tokens carry real times, so
 * the manual clock of `buildTestApp` does not fit), for tests that drive it with real clients: the MCP SDK
 * client, Chromium, the conformance suite.
 */
export interface LiveServer {
  readonly url: string;
  readonly mcpUrl: string;
  readonly runtime: Runtime;
  readonly app: FastifyInstance;
  /** A user with a password (browser account), a personal workspace and admin rights if asked. */
  createPerson(email: string, password: string, opts?: { admin?: boolean }): Promise<{ user: User; workspace: Workspace }>;
  close(): Promise<void>;
}

export interface LiveServerOptions {
  /** Extra trust anchors for Client ID Metadata Document fetches (a test's self-signed HTTPS server). */
  readonly cimdTrustedCertificates?: readonly string[];
  /** Use (and keep) this data directory instead of a fresh temporary one: a benchmark's cached database. */
  readonly dataDir?: string;
}

export async function startLiveServer(env: Record<string, string> = {}, options: LiveServerOptions = {}): Promise<LiveServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'cairn-live-'));
  const runtime = await openRuntime({
    env: {
      CAIRN_DATA_DIR: dataDir,
      CAIRN_DATABASE_URL: `sqlite:${join(dataDir, 'cairn.db')}`,
      CAIRN_SECRET: TEST_SECRET,
      CAIRN_PORT: String(port),
      CAIRN_PUBLIC_URL: url,
      CAIRN_LOG_LEVEL: 'silent',
      ...env,
    },
    migrate: 'always',
    logger: createLogger('silent'),
  });
  const app = await buildApp({
    config: runtime.config,
    services: runtime.services,
    logger: runtime.logger,
    ...(options.cimdTrustedCertificates ? { cimdTrustedCertificates: options.cimdTrustedCertificates } : {}),
  });
  await app.listen({ host: '127.0.0.1', port });
  runtime.services.start();
  return {
    url,
    mcpUrl: `${url}/mcp`,
    runtime,
    app,
    async createPerson(email, password, opts = {}) {
      const created = await runtime.services.users.create({ email, name: email.split('@')[0] ?? null, isAdmin: opts.admin ?? false, via: 'cli' });
      await runtime.services.accounts.setPassword(created.user, password);
      return created;
    },
    async close() {
      await app.close();
      await runtime.close();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A port nothing listens on right now (the server must know its public URL before it listens). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A loopback redirect target that records each request's query, as a native client's callback listener does. */
export interface CallbackServer {
  readonly redirectUri: string;
  /** Resolves with the query of the next request to the callback path. */
  next(): Promise<URLSearchParams>;
  close(): Promise<void>;
}

export async function startCallbackServer(path = '/callback'): Promise<CallbackServer> {
  const waiting: ((q: URLSearchParams) => void)[] = [];
  const arrived: URLSearchParams[] = [];
  const server: Server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (u.pathname !== path) {
      res.statusCode = 404;
      res.end();
      return;
    }
    const resolve = waiting.shift();
    if (resolve) resolve(u.searchParams);
    else arrived.push(u.searchParams);
    res.setHeader('content-type', 'text/html');
    res.end('<!doctype html><title>Signed in</title><p>You can close this window.</p>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    redirectUri: `http://127.0.0.1:${port}${path}`,
    next: () => {
      const ready = arrived.shift();
      return ready ? Promise.resolve(ready) : new Promise((resolve) => waiting.push(resolve));
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
