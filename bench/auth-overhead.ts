import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import type { ReadyMessage } from './bench-server.js';

/**
 * What authentication costs (API keys and OAuth access tokens), in one run: requests/s of the same REST and
 * MCP routes with and without it, next to a bare Fastify hello route, and their ratios. Target: auth costs at most 15% of the
 * route's throughput (ratio >= 0.85). It prints figures and never fails on them; it exits non-zero only
 * when the set-up is broken (the server does not start, or a scenario does not answer 200 with a result).
 *
 *   npm run bench:auth                   5 s per scenario per round, 3 interleaved rounds, medians
 *   BENCH_SECONDS=2 BENCH_ROUNDS=2 npm run bench:auth
 *
 * The server runs in a child process (bench/bench-server.ts). With two or more cores and `taskset`, the
 * server is pinned to core 0 and this load generator to core 1, as in the reference measurements
 * (BENCH_PIN=0 turns that off). BENCH_CONNECTIONS (50) and BENCH_MEMORIES (3000) can be changed too.
 */

const SECONDS = positive('BENCH_SECONDS', 5);
const ROUNDS = positive('BENCH_ROUNDS', 3);
const CONNECTIONS = positive('BENCH_CONNECTIONS', 50);
const WARMUP_SECONDS = Math.min(2, SECONDS);
const TARGET = 0.85;

interface Target {
  readonly base: string;
  readonly ready: ReadyMessage;
  readonly server: Server;
}

/** One measurement: requests/s, and the server's CPU time per successful request. */
interface Sample {
  readonly rate: number;
  readonly cpuMicrosPerRequest: number;
}

interface BenchRequest {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: unknown;
}

/** One measured row. Add a row (and a pair below) to measure another credential kind. */
interface Scenario {
  readonly id: string;
  readonly label: string;
  request(target: Target): BenchRequest;
  /** Checks one answer before measuring: the run is meaningless if the route fails. */
  verify(status: number, body: string): string | undefined;
}

const SEARCH = { query: 'espresso', limit: 10 };
const MCP_HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  'mcp-protocol-version': '2025-06-18',
};
const MCP_CALL = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'search_memory', arguments: SEARCH } };
const bearer = (t: Target) => ({ authorization: `Bearer ${t.ready.credentials.apiKey}` });
const tokenBearer = (t: Target) => ({ authorization: `Bearer ${t.ready.credentials.accessToken}` });

const SCENARIOS: readonly Scenario[] = [
  { id: 'hello', label: 'Fastify hello, no auth', request: () => ({ method: 'GET', path: '/bench/hello' }), verify: expectStatus200 },
  {
    id: 'rest-key',
    label: 'REST search, API key',
    request: (t) => ({ method: 'POST', path: '/api/v1/memories/search', headers: bearer(t), body: SEARCH }),
    verify: verifyRestSearch,
  },
  {
    id: 'rest-token',
    label: 'REST search, OAuth token',
    request: (t) => ({ method: 'POST', path: '/api/v1/memories/search', headers: tokenBearer(t), body: SEARCH }),
    verify: verifyRestSearch,
  },
  {
    id: 'rest-none',
    label: 'REST search, no auth',
    request: (t) => ({ method: 'POST', path: `${t.ready.noauthPrefix}/api/v1/memories/search`, body: SEARCH }),
    verify: verifyRestSearch,
  },
  {
    id: 'mcp-key',
    label: 'MCP search_memory, API key',
    request: (t) => ({ method: 'POST', path: '/mcp', headers: { ...MCP_HEADERS, ...bearer(t) }, body: MCP_CALL }),
    verify: verifyMcpSearch,
  },
  {
    id: 'mcp-token',
    label: 'MCP search_memory, OAuth token',
    request: (t) => ({ method: 'POST', path: '/mcp', headers: { ...MCP_HEADERS, ...tokenBearer(t) }, body: MCP_CALL }),
    verify: verifyMcpSearch,
  },
  {
    id: 'mcp-none',
    label: 'MCP search_memory, no auth',
    request: (t) => ({ method: 'POST', path: `${t.ready.noauthPrefix}/mcp`, headers: MCP_HEADERS, body: MCP_CALL }),
    verify: verifyMcpSearch,
  },
];

/** [with auth, same route without auth]: the ratios the target applies to. */
const AUTH_PAIRS: readonly (readonly [string, string])[] = [
  ['rest-key', 'rest-none'],
  ['rest-token', 'rest-none'],
  ['mcp-key', 'mcp-none'],
  ['mcp-token', 'mcp-none'],
];

async function main(): Promise<void> {
  const server = await startServer();
  try {
    const target: Target = { base: `http://127.0.0.1:${server.ready.port}`, ready: server.ready, server };
    for (const s of SCENARIOS) await check(target, s);
    console.log(
      `Cairn auth overhead: ${SCENARIOS.length} scenarios × ${ROUNDS} rounds × ${SECONDS}s, ${CONNECTIONS} connections, ` +
        `${server.ready.memories} memories, server ${server.pinned ? 'pinned to core 0, load on core 1' : 'not pinned'}, Node ${process.version}`,
    );
    for (const s of SCENARIOS) await measure(target, s, WARMUP_SECONDS);
    const samples = new Map<string, Sample[]>(SCENARIOS.map((s) => [s.id, []]));
    for (let round = 1; round <= ROUNDS; round++) {
      // Interleaved: every scenario once per round, so a noisy moment hits all of them, not one; the order
      // is reversed every other round, so neither side of a pair always runs first.
      const order = round % 2 === 1 ? SCENARIOS : [...SCENARIOS].reverse();
      for (const s of order) samples.get(s.id)!.push(await measure(target, s, SECONDS));
      process.stdout.write(`  round ${round}/${ROUNDS} done\n`);
    }
    report(samples, target);
  } finally {
    server.stop();
  }
}

async function measure(target: Target, scenario: Scenario, seconds: number): Promise<Sample> {
  const req = scenario.request(target);
  const cpuBefore = await target.server.cpu();
  const result = await autocannon({ url: target.base + req.path, ...wire(req), connections: CONNECTIONS, duration: seconds });
  if (result.non2xx > 0 || result.errors > 0) {
    console.warn(`  warning: ${scenario.id}: ${result.non2xx} non-2xx answers, ${result.errors} errors (${result.timeouts} timeouts)`);
  }
  const cpuMicros = (await target.server.cpu()) - cpuBefore;
  // Only successful answers count as throughput.
  const ok = Math.max(1, result.requests.total - result.non2xx);
  return { rate: ok / result.duration, cpuMicrosPerRequest: cpuMicros / ok };
}

function report(samples: Map<string, Sample[]>, target: Target): void {
  const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
  const rates = (id: string) => samples.get(id)!.map((x) => x.rate);
  const cpu = (id: string) => samples.get(id)!.map((x) => x.cpuMicrosPerRequest);
  // Ratios are taken within each round (same moment of the machine) and the median across rounds is shown.
  const rateRatio = (a: string, b: string) => median(rates(a).map((x, i) => x / rates(b)[i]!));
  // CPU per request, inverted: the throughput ratio a CPU-bound server would reach, unmoved by other load.
  const cpuRatio = (a: string, b: string) => median(cpu(b).map((x, i) => x / cpu(a)[i]!));
  console.log('\nrequests/s and server CPU per request (median of rounds; each round in brackets)');
  for (const s of SCENARIOS) {
    const r = rates(s.id);
    const c = cpu(s.id);
    console.log(
      `  ${s.label.padEnd(30)} ${fmt(median(r)).padStart(8)} req/s [${r.map(fmt).join(', ')}]   ` +
        `${fmt(median(c)).padStart(6)} µs CPU [${c.map(fmt).join(', ')}]`,
    );
  }
  console.log(`\nauthenticated / same route without auth (target >= ${TARGET})      by req/s   by CPU per request`);
  for (const [withAuth, without] of AUTH_PAIRS) {
    const r = rateRatio(withAuth, without);
    const c = cpuRatio(withAuth, without);
    const mark = (x: number) => `${x.toFixed(3)} ${x >= TARGET ? 'ok' : 'BELOW'}`.padStart(11);
    console.log(`  ${`${withAuth} / ${without}`.padEnd(30)} ${mark(r)}   ${mark(c)}`);
  }
  // The authentication work itself, timed in process: the share of a route's CPU it can account for.
  const checks = [
    { label: 'API-key verification', what: 'cached key; shape, checksum, HMAC, lookup, usage count', micros: target.ready.verifyMicros, ids: ['rest-key', 'mcp-key'] },
    { label: 'OAuth access-token verification', what: 'cached token; shape, SHA-256, lookup, expiry', micros: target.ready.tokenVerifyMicros, ids: ['rest-token', 'mcp-token'] },
  ];
  for (const check of checks) {
    console.log(`\n${check.label} in process: ${check.micros.toFixed(2)} µs per request (${check.what})`);
    for (const id of check.ids) {
      const share = check.micros / median(cpu(id));
      console.log(`  = ${(share * 100).toFixed(2)}% of ${id}'s CPU per request (the check itself; target: at most ${((1 - TARGET) * 100).toFixed(0)}%)`);
    }
  }
  console.log('\nvs Fastify hello                          by req/s   by CPU per request');
  for (const s of SCENARIOS.filter((x) => x.id !== 'hello')) {
    console.log(`  ${`${s.id} / hello`.padEnd(30)} ${rateRatio(s.id, 'hello').toFixed(3).padStart(8)}   ${cpuRatio(s.id, 'hello').toFixed(3).padStart(8)}`);
  }
}

async function check(target: Target, scenario: Scenario): Promise<void> {
  const req = scenario.request(target);
  const res = await fetch(target.base + req.path, wire(req));
  const problem = scenario.verify(res.status, await res.text());
  if (problem) throw new Error(`scenario ${scenario.id} is broken, nothing measured: ${problem}`);
}

/** Method, headers and serialised body, in the shape both fetch and autocannon take. */
function wire(req: BenchRequest): { method: BenchRequest['method']; headers: Record<string, string>; body?: string } {
  if (req.body === undefined) return { method: req.method, headers: { ...req.headers } };
  return { method: req.method, headers: { 'content-type': 'application/json', ...req.headers }, body: JSON.stringify(req.body) };
}

function expectStatus200(status: number, body: string): string | undefined {
  return status === 200 ? undefined : `HTTP ${status}: ${body.slice(0, 300)}`;
}

function verifyRestSearch(status: number, body: string): string | undefined {
  const problem = expectStatus200(status, body);
  if (problem) return problem;
  const results = (JSON.parse(body) as { results?: unknown[] }).results;
  return results && results.length > 0 ? undefined : `no search results: ${body.slice(0, 300)}`;
}

/** A stateless 2025-06-18 answer is JSON or a one-event SSE stream; either must carry a non-error tool result. */
function verifyMcpSearch(status: number, body: string): string | undefined {
  const problem = expectStatus200(status, body);
  if (problem) return problem;
  const json = body.trimStart().startsWith('{') ? body : body.split('\n').find((l) => l.startsWith('data:'))?.slice(5);
  const message = json ? (JSON.parse(json) as { result?: { isError?: boolean; structuredContent?: { results?: unknown[] } } }) : undefined;
  const result = message?.result;
  if (!result || result.isError) return `no tool result: ${body.slice(0, 300)}`;
  return (result.structuredContent?.results?.length ?? 0) > 0 ? undefined : `no search results: ${body.slice(0, 300)}`;
}

interface Server {
  readonly ready: ReadyMessage;
  readonly pinned: boolean;
  /** The server process's CPU time so far (user + system), in microseconds. */
  cpu(): Promise<number>;
  stop(): void;
}

/** Forks bench-server.ts (pinned to core 0 when possible) and waits for its port; fails after 120 s. */
async function startServer(): Promise<Server> {
  const script = fileURLToPath(new URL('./bench-server.ts', import.meta.url));
  const node = [process.execPath, '--import', 'tsx', script];
  const pinned = process.env.BENCH_PIN !== '0' && availableParallelism() >= 2 && canPin();
  const child: ChildProcess = pinned
    ? spawn('taskset', ['-c', '0', ...node], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    : spawn(node[0]!, node.slice(1), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  if (pinned) execFileSync('taskset', ['-a', '-pc', '1', String(process.pid)], { stdio: 'ignore' });
  const stop = () => {
    if (child.exitCode === null) child.kill('SIGTERM');
  };
  process.once('exit', stop);
  const ready = await new Promise<ReadyMessage>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the bench server did not start within 120 s')), 120_000);
    child.once('message', (m) => {
      clearTimeout(timer);
      resolve(m as ReadyMessage);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the bench server exited (code ${code}) before it was ready`));
    });
  });
  const cpu = () =>
    new Promise<number>((resolve) => {
      child.once('message', (m) => resolve((m as { cpuMicros: number }).cpuMicros));
      child.send('cpu');
    });
  return { ready, pinned, cpu, stop };
}

function canPin(): boolean {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function positive(name: string, fallback: number): number {
  const raw = process.env[name];
  const n = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number`);
  return n;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
