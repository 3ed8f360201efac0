import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyRequest } from 'fastify';
import { buildApp } from '../src/app.js';
import type { Principal } from '../src/core/principal.js';
import { openRuntime } from '../src/runtime.js';
import { resourceChallenge } from '../src/surfaces/auth-hook.js';
import { mcpSurface } from '../src/surfaces/mcp/plugin.js';
import { restSurface } from '../src/surfaces/rest/plugin.js';
import { VERSION } from '../src/version.js';
import { accessTokenClaims, recordGrant, signWithCurrentKey } from '../src/testing/access-tokens.js';

/**
 * The benchmark's server, run in its own process (bench/auth-overhead.ts forks it) so the load generator
 * does not share its event loop. It is the real Cairn app (openRuntime + buildApp on a temporary SQLite
 * file, seeded with memories; access tokens verified against the authorization server's signing-key and
 * grant stores on the same file) plus, for comparison:
 *   - GET /bench/hello: a bare Fastify route, the machine's yardstick;
 *   - /bench/noauth/api and /bench/noauth/mcp: the SAME surface plugins, mounted with an authenticator that
 *     only sets a fixed principal. The one difference from /api and /mcp is authentication.
 * When it is listening it sends `ReadyMessage` to the parent; it exits when the parent disconnects.
 */

export interface ReadyMessage {
  readonly port: number;
  /** One credential per kind the benchmark measures. */
  readonly credentials: { readonly apiKey: string; readonly accessToken: string };
  readonly memories: number;
  /** Where the unauthenticated copies of the surfaces are mounted. */
  readonly noauthPrefix: string;
  /**
   * The per-request authentication work measured in process, without HTTP: µs per `verify()` of the cached
   * key (shape, checksum, HMAC, cache lookup, usage count). Unlike throughput it hardly moves with load.
   */
  readonly verifyMicros: number;
  /** The same for the access token: µs per `verify()` of the cached token (SHA-256 of the token, cache lookup, expiry check). */
  readonly tokenVerifyMicros: number;
}

const NOAUTH_PREFIX = '/bench/noauth';
/** Words the seeded memories are made of. */
const WORDS = [
  'coffee', 'tea', 'morning', 'evening', 'python', 'typescript', 'rust', 'project', 'meeting', 'deadline',
  'prefers', 'likes', 'avoids', 'works', 'lives', 'berlin', 'lisbon', 'dark', 'mode', 'editor', 'keyboard',
  'vegetarian', 'running', 'cycling', 'music', 'jazz', 'reading', 'novels', 'weekend', 'travel', 'daughter',
  'birthday', 'allergy', 'peanuts', 'review', 'release', 'database', 'postgres', 'sqlite', 'deploy',
];

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'cairn-bench-'));
  const count = Number(process.env.BENCH_MEMORIES ?? 3000);
  const runtime = await openRuntime({
    env: {
      CAIRN_DATA_DIR: dataDir,
      CAIRN_SECRET: 'bench-secret-bench-secret-bench-secret-0123456789',
      CAIRN_LOG_LEVEL: 'silent',
      CAIRN_PORT: '0',
    },
    migrate: 'always',
  });
  const { services } = runtime;
  const owner = await services.users.create({ email: 'bench@example.com', isAdmin: true });
  const { key } = await services.apiKeys.create(
    { userId: owner.user.id, workspaceId: owner.workspace.id },
    { name: 'bench', scopes: ['memories:read', 'memories:write'] },
    { kind: 'cli', credentialId: null },
  );
  const verified = await services.verifier.verify(key);
  if (!verified.ok) throw new Error(`the benchmark key does not verify: ${verified.reason}`);
  await seed(verified.principal, services.memories, count);
  const verifyMicros = await timeVerify(services.verifier, key);
  // An access token as the authorization server issues them, under a recorded grant: same user, workspace,
  // app and scopes as the key. It lives a day so no run outlasts it (real ones live minutes; the cost per
  // request of a cached token does not depend on that).
  const p = verified.principal;
  const grant = await recordGrant(services.oauth, { userId: p.userId, workspaceId: p.workspaceId, appId: p.appId }, ['memories:read', 'memories:write']);
  const accessToken = await signWithCurrentKey(services.oauth.keys, accessTokenClaims(runtime.config.http.publicUrl, grant, Date.now(), 24 * 3600));
  const tokenVerifyMicros = await timeVerify(services.accessTokens, accessToken);

  const app = await buildApp({ config: runtime.config, services, logger: runtime.logger });
  app.get('/bench/hello', async () => ({ hello: 'world' }));
  const fixedPrincipal = fixedAuthenticator(verified.principal);
  await app.register(restSurface, {
    prefix: `${NOAUTH_PREFIX}/api`,
    authenticate: fixedPrincipal,
    memories: services.memories,
    transfer: services.transfer,
    importMaxBytes: runtime.config.http.importMaxBytes,
    apiKeys: services.apiKeys,
    users: services.users,
    oauthGrants: services.oauth.grants,
    oauthClients: services.oauth.clients,
    publicUrl: runtime.config.http.publicUrl,
  });
  await app.register(mcpSurface, {
    prefix: `${NOAUTH_PREFIX}/mcp`,
    authenticate: fixedPrincipal,
    challenge: resourceChallenge(runtime.config.http.publicUrl),
    memories: services.memories,
    allowedHosts: runtime.config.http.allowedHosts,
    allowedOrigins: runtime.config.http.allowedOrigins,
    version: VERSION,
    bodyLimit: runtime.config.http.bodyLimit,
  });
  services.start();
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');

  let closing = false;
  const shutdown = async () => {
    if (closing) return;
    closing = true;
    await app.close().catch(() => undefined);
    await runtime.close().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
    process.exit(0);
  };
  process.on('disconnect', () => void shutdown());
  process.on('SIGTERM', () => void shutdown());
  process.on('SIGINT', () => void shutdown());
  // The parent asks for this process's CPU time around each measurement: CPU per request barely moves
  // when other processes load the machine, where requests/s does.
  process.on('message', (m) => {
    if (m === 'cpu') {
      const { user, system } = process.cpuUsage();
      process.send?.({ cpuMicros: user + system });
    }
  });
  const ready: ReadyMessage = { port: address.port, credentials: { apiKey: key, accessToken }, memories: count, noauthPrefix: NOAUTH_PREFIX, verifyMicros, tokenVerifyMicros };
  process.send?.(ready);
}

/** Median of 5 runs of 20,000 verifications of one (cached) credential, in µs per verification. */
async function timeVerify(verifier: { verify(credential: string): Promise<{ ok: boolean }> }, key: string): Promise<number> {
  const runs: number[] = [];
  for (let run = 0; run < 5; run++) {
    const n = 20_000;
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) if (!(await verifier.verify(key)).ok) throw new Error('benchmark credential stopped verifying');
    runs.push(Number(process.hrtime.bigint() - start) / 1000 / n);
  }
  return runs.sort((a, b) => a - b)[2]!;
}

/** The stand-in for authentication: the same principal the API key yields, with the request id, and no checks. */
function fixedAuthenticator(principal: Principal) {
  return async function authenticateFixed(request: FastifyRequest): Promise<void> {
    request.principal = { ...principal, requestId: request.id };
  };
}

async function seed(principal: Principal, memories: { addMany: (p: Principal, m: { content: string }[]) => Promise<unknown> }, count: number) {
  let state = 42;
  const next = () => (state = (state * 1103515245 + 12345) % 2 ** 31);
  for (let done = 0; done < count; ) {
    const batch: { content: string }[] = [];
    for (; batch.length < 100 && done < count; done++) {
      const words = Array.from({ length: 8 + (next() % 8) }, () => WORDS[next() % WORDS.length]!);
      // Every 25th memory mentions espresso: the benchmark's query matches 4% of them, a selective search
      // whose cost does not drown the authentication cost being measured.
      if (done % 25 === 0) words.push('espresso');
      batch.push({ content: `Memory ${done}: ${words.join(' ')}.` });
    }
    await memories.addMany(principal, batch);
  }
}

main().catch((err: unknown) => {
  console.error('bench server failed:', err);
  process.exit(1);
});
