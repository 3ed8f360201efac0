/**
 * Runs the official MCP conformance suite (@modelcontextprotocol/conformance, pinned in tools.ts) against
 * a real Cairn process. `npm run test:conformance`; .ci/run calls it after the other suites.
 *
 *   node --import tsx scripts/conformance/run.ts                    server mode (the default)
 *   node --import tsx scripts/conformance/run.ts --authorization    server mode, then authorization mode on
 *                                                                   a second Cairn (needs Cairn's OAuth AS)
 *   node --import tsx scripts/conformance/run.ts authorization --url <issuer> --client-id <id> \
 *        --port <callback port> --resource <mcp url>                authorization mode against a running AS;
 *                                                                   login from CAIRN_CONFORMANCE_EMAIL and
 *                                                                   CAIRN_CONFORMANCE_PASSWORD
 *
 * Server mode: Cairn starts on a free 127.0.0.1 port with a temporary data dir; a user and an API key are
 * made with the real CLI; the suite talks to a bearer proxy (bearer-proxy.ts) that adds the key, because the
 * suite cannot send one. Cairn's public URL is the proxy's URL, as it would be behind any front end, so its
 * Host and Origin checks judge exactly what the suite sends. Each scenario runs once per spec revision it
 * belongs to, at that revision's wire (2025-era: initialize handshake; 2026-07-28: stateless, per-request
 * _meta). `--requirements <rev>` cannot be used for this: it refuses --scenario and runs every scenario the
 * revision requires, most of which need the suite's fixture tools (test_simple_text, …) that Cairn does not
 * and should not have. `--spec-version <rev> --scenario <s>` runs the same scenario at the same wire.
 *
 * The exit code is non-zero when any run fails, has a check that fails outside expected-failures.yml,
 * warns, or records no check at all.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cairnEnv, freePort, runCairn, startCairn, type RunningCairn } from '../../src/testing/cairn-process.js';
import { createLoginUser, fetchAuthorizationServerMetadata, registerPublicClient, runAuthorizationMode, type AuthorizationTarget } from './authorization.js';
import { startBearerProxy, type BearerProxy } from './bearer-proxy.js';
import { countByStatus, readExpectedFailures, runSuite, type Check } from './suite.js';
import { ensureConformanceTools, type ConformanceTools } from './tools.js';

const EXPECTED_FAILURES = fileURLToPath(new URL('./expected-failures.yml', import.meta.url));

/**
 * The server-mode scenarios that apply to Cairn, each with the revisions it is defined for (from
 * `conformance list`). Not here: scenarios that need the suite's fixture tools, prompts or resources.
 * `server-stateless` is the lifecycle scenario that applies: Cairn's /mcp issues no Mcp-Session-Id (the
 * SDK handler runs 2025-era requests statelessly, and 2026-07-28 has no sessions at all).
 * `server-session-lifecycle` (2025-era) is run as well: on a server that issues no session id it records
 * one INFO "not applicable" check, and the day Cairn starts issuing sessions its real checks take over.
 */
const SERVER_SCENARIOS: readonly { scenario: string; revisions: readonly string[] }[] = [
  { scenario: 'server-initialize', revisions: ['2025-06-18', '2025-11-25'] },
  { scenario: 'server-session-lifecycle', revisions: ['2025-11-25'] },
  { scenario: 'server-stateless', revisions: ['2026-07-28'] },
  { scenario: 'dns-rebinding-protection', revisions: ['2025-11-25', '2026-07-28'] },
  { scenario: 'http-header-validation', revisions: ['2026-07-28'] },
  { scenario: 'caching', revisions: ['2026-07-28'] },
  { scenario: 'tools-list', revisions: ['2025-06-18', '2025-11-25', '2026-07-28'] },
];

/** The key's scopes: the three memory scopes an MCP client gets, never admin. */
const KEY_SCOPES = 'memories:read,memories:write,memories:delete';

interface Outcome {
  readonly name: string;
  readonly seconds: number;
  readonly problems: readonly string[];
  readonly counts?: Record<string, number>;
}

const log = (line: string) => process.stdout.write(`[conformance] ${line}\n`);

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      authorization: { type: 'boolean', default: false },
      url: { type: 'string' },
      'client-id': { type: 'string' },
      port: { type: 'string' },
      resource: { type: 'string' },
    },
  });
  const started = Date.now();
  const tools = await ensureConformanceTools(log);
  const workDir = mkdtempSync(join(tmpdir(), 'cairn-conformance-'));
  const outcomes: Outcome[] = [];
  try {
    if (positionals[0] === 'authorization') {
      outcomes.push(await againstRunningServer(tools, workDir, values));
    } else if (positionals.length > 0) {
      throw new Error(`unknown mode "${positionals.join(' ')}" (expected nothing, or "authorization")`);
    } else {
      outcomes.push(...(await serverMode(tools, workDir)));
      // A failure to set authorization mode up is reported next to the server-mode results, not instead of them.
      if (values.authorization) outcomes.push(await authorizationMode(tools, workDir).catch((err: Error) => ({ name: 'authorization', seconds: 0, problems: [err.message] })));
    }
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
  return report(outcomes, (Date.now() - started) / 1000);
}

/** Server mode: one Cairn, one key, the proxy, and every scenario × revision in SERVER_SCENARIOS. */
async function serverMode(tools: ConformanceTools, workDir: string): Promise<Outcome[]> {
  const dataDir = join(workDir, 'server');
  const cairnPort = await freePort();
  const proxyPort = await freePort();
  const env = cairnEnv({
    CAIRN_DATA_DIR: dataDir,
    CAIRN_PORT: String(cairnPort),
    CAIRN_PUBLIC_URL: `http://127.0.0.1:${proxyPort}`,
    CAIRN_LOG_LEVEL: 'warn',
  });
  const key = await createKey(workDir, env);
  let cairn: RunningCairn | undefined;
  let proxy: BearerProxy | undefined;
  try {
    cairn = await startCairn({ cwd: workDir, env, port: cairnPort, args: ['serve'], entry: fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url)) });
    proxy = await startBearerProxy({ upstream: cairn.url, token: key, port: proxyPort });
    await checkCairnDemandsTheKey(cairn.url, proxy.url);
    const mcpUrl = `${proxy.url}/mcp`;
    log(`Cairn at ${cairn.url}, suite → bearer proxy ${mcpUrl}`);
    const outcomes: Outcome[] = [];
    const expected = readExpectedFailures(EXPECTED_FAILURES);
    for (const { scenario, revisions } of SERVER_SCENARIOS) {
      for (const revision of revisions) {
        const name = `server ${scenario} @${revision}`;
        const run = await runSuite(
          tools,
          ['server', '--url', mcpUrl, '--scenario', scenario, '--spec-version', revision, '--expected-failures', EXPECTED_FAILURES],
          { outputRoot: workDir, label: `${scenario}@${revision}` },
        );
        const problems: string[] = [];
        if (run.exitCode !== 0) problems.push(`the suite exited with ${run.exitCode} (a failure outside expected-failures.yml, or a stale entry there)`);
        if (run.checks.length === 0) problems.push('no check was recorded');
        problems.push(...warnings(run.checks));
        outcomes.push({ name, seconds: run.seconds, problems, counts: countByStatus(run.checks, scenario, expected) });
      }
    }
    log(`the proxy forwarded ${proxy.forwarded()} requests`);
    if (outcomes.some((o) => o.problems.length > 0)) log(`Cairn's own log (level warn) for the failures above:\n${cairn.stdout()}${cairn.stderr()}`);
    return outcomes;
  } finally {
    await proxy?.close();
    const stopped = await cairn?.stop();
    if (cairn && stopped?.code !== 0) log(`Cairn exited with ${stopped?.code ?? stopped?.signal}; its stderr:\n${cairn.stderr()}`);
  }
}

/**
 * Authorization mode on a Cairn of its own, with no proxy in front: the suite and the browser talk to the
 * authorization server directly, so the issuer is Cairn's own URL. Provisioning (README.md): a login user
 * through the CLI and its one-time set-password link, and the suite's public client through dynamic client
 * registration.
 */
async function authorizationMode(tools: ConformanceTools, workDir: string): Promise<Outcome> {
  const started = Date.now();
  const dataDir = join(workDir, 'authorization');
  const port = await freePort();
  const callbackPort = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const env = cairnEnv({ CAIRN_DATA_DIR: dataDir, CAIRN_PORT: String(port), CAIRN_PUBLIC_URL: issuer, CAIRN_LOG_LEVEL: 'warn' });
  const login = { email: 'conformance@example.com', password: `pw-${randomBytes(18).toString('base64url')}` };
  const cairn = await startCairn({ cwd: workDir, env, port, args: ['serve'], entry: fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url)) });
  try {
    // First: is there an authorization server at all? Then the account and the client.
    const metadata = await fetchAuthorizationServerMetadata(issuer);
    await createLoginUser({ cwd: workDir, env, origin: issuer, ...login });
    const clientId = await registerPublicClient(metadata, callbackPort);
    log(`authorization server ${issuer}, public client ${clientId}, callback port ${callbackPort}`);
    const target: AuthorizationTarget = { issuer, clientId, port: callbackPort, resource: `${issuer}/mcp`, login };
    const { run, problems } = await runAuthorizationMode(tools, target, workDir);
    return { name: 'authorization', seconds: (Date.now() - started) / 1000, problems, counts: countByStatus(run.checks) };
  } finally {
    await cairn.stop();
  }
}

/** `run.ts authorization --url … --client-id … --port … --resource …` against a server someone else runs. */
async function againstRunningServer(
  tools: ConformanceTools,
  workDir: string,
  values: { url?: string; 'client-id'?: string; port?: string; resource?: string },
): Promise<Outcome> {
  const started = Date.now();
  const missing = ['url', 'client-id', 'port', 'resource'].filter((k) => !values[k as keyof typeof values]);
  const email = process.env.CAIRN_CONFORMANCE_EMAIL;
  const password = process.env.CAIRN_CONFORMANCE_PASSWORD;
  if (!email) missing.push('CAIRN_CONFORMANCE_EMAIL (environment)');
  if (!password) missing.push('CAIRN_CONFORMANCE_PASSWORD (environment)');
  if (missing.length > 0) throw new Error(`authorization mode needs: ${missing.join(', ')}`);
  const target: AuthorizationTarget = {
    issuer: values.url!,
    clientId: values['client-id']!,
    port: Number(values.port),
    resource: values.resource!,
    login: { email: email!, password: password! },
  };
  const { run, problems } = await runAuthorizationMode(tools, target, workDir);
  return { name: 'authorization', seconds: (Date.now() - started) / 1000, problems, counts: countByStatus(run.checks) };
}

/** A user and an API key through the real CLI; returns the key (printed once, as JSON). */
async function createKey(cwd: string, env: NodeJS.ProcessEnv): Promise<string> {
  const user = await runCairn(['user', 'create', '--email', 'conformance@example.com', '--name', 'Conformance'], { cwd, env });
  if (user.code !== 0) throw new Error(`cairn user create failed:\n${user.stdout}${user.stderr}`);
  const created = await runCairn(['key', 'create', '--user', 'conformance@example.com', '--name', 'conformance-suite', '--scopes', KEY_SCOPES, '--json'], { cwd, env });
  if (created.code !== 0) throw new Error(`cairn key create failed:\n${created.stdout}${created.stderr}`);
  return (JSON.parse(created.stdout) as { key: string }).key;
}

/**
 * The suite's passes must come from the key, not from an open door: straight to Cairn without it is a 401
 * with a Bearer challenge, through the proxy the same request is served.
 */
async function checkCairnDemandsTheKey(cairnUrl: string, proxyUrl: string): Promise<void> {
  const ping = (base: string) =>
    fetch(`${base}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
    });
  const direct = await ping(cairnUrl);
  if (direct.status !== 401 || !/^Bearer /.test(direct.headers.get('www-authenticate') ?? '')) {
    throw new Error(`Cairn answered ${direct.status} to an MCP request without a credential; expected 401 with a Bearer challenge`);
  }
  const proxied = await ping(proxyUrl);
  if (proxied.status !== 200) throw new Error(`through the bearer proxy Cairn answered ${proxied.status}: ${await proxied.text()}`);
}

function warnings(checks: readonly Check[]): string[] {
  return checks.filter((c) => c.status === 'WARNING').map((c) => `warning ${c.id}: ${c.errorMessage ?? c.description ?? ''}`);
}

function report(outcomes: readonly Outcome[], seconds: number): number {
  log('');
  log('summary');
  for (const o of outcomes) {
    const counts = Object.entries(o.counts ?? {}).map(([status, n]) => `${n} ${status}`).join(', ');
    log(`  ${o.problems.length === 0 ? 'PASS' : 'FAIL'}  ${o.name}  (${counts || 'no checks'}; ${o.seconds.toFixed(1)} s)`);
    for (const p of o.problems) log(`          ${p}`);
  }
  const failed = outcomes.filter((o) => o.problems.length > 0).length;
  // The plain closing line CI logs are read for.
  process.stdout.write(`conformance: ${outcomes.length - failed} passed, ${failed} failed\n`);
  log(`took ${seconds.toFixed(1)} s`);
  return failed === 0 && outcomes.length > 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`[conformance] ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exit(1);
  },
);
