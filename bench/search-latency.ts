import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createScratchDatabase } from './postgres-scratch.js';
import { CORPUS_VERSION } from './search-latency/corpus.js';
import type { ReadyMessage, ServerOptions } from './search-latency/server.js';
import { load1, timeCalls, type Latency } from './search-latency/stats.js';

/**
 * search_memory latency in lexical mode on one workspace of 100,000 memories (issue 6). Target: p50 <= 5 ms
 * and p99 <= 25 ms. It prints figures and never fails on them; it exits non-zero only when the set-up is
 * broken (no dataset, the server does not start, the tool does not answer with results).
 *
 *   node --import tsx bench/search-latency.ts [--db sqlite|postgres]
 *
 * (a) service level: MemoryService.search in the server process, what the tool calls;
 * (b) end to end: MCP `tools/call search_memory` over HTTP on 127.0.0.1 with an API key, one client, one
 *     request at a time, so the figures are latencies, not throughput.
 * The seeded SQLite file is cached between runs (see bench/README.md); PostgreSQL is seeded into a scratch
 * database that is dropped afterwards. Settings: BENCH_MEMORIES (100000), BENCH_OTHER_WORKSPACES (2),
 * BENCH_OTHER_MEMORIES (10000 each), BENCH_QUERIES (300), BENCH_PASSES (2), BENCH_PHASE_SECONDS (45),
 * BENCH_NO_CACHE=1, LOCOMO_PATH, CAIRN_DATABASE_URL (postgres admin URL for --db postgres).
 */

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TARGET = { p50: 5, p99: 25 } as const;
const MCP_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18' };
/** A query none of the memories contains: what a tools/call costs when the search itself costs almost nothing. */
const NO_MATCH_QUERY = 'zyxwvut qqqzzz';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { db: { type: 'string', default: 'sqlite' } } });
  if (values.db !== 'sqlite' && values.db !== 'postgres') throw new Error(`--db must be sqlite or postgres (got "${values.db}")`);
  const base = {
    datasetPath: process.env.LOCOMO_PATH ? resolve(process.env.LOCOMO_PATH) : resolve(REPO_ROOT, '../shared/data/locomo/locomo10.json'),
    memories: int('BENCH_MEMORIES', 100_000),
    otherWorkspaces: int('BENCH_OTHER_WORKSPACES', 2, 0),
    otherMemories: int('BENCH_OTHER_MEMORIES', 10_000),
    queries: int('BENCH_QUERIES', 300),
    passes: int('BENCH_PASSES', 2),
    phaseSeconds: int('BENCH_PHASE_SECONDS', 45),
  };
  const started = performance.now();
  if (values.db === 'sqlite') {
    await run({ ...base, db: { kind: 'sqlite', dir: cacheDir(base) } }, started);
    return;
  }
  const adminUrl = process.env.CAIRN_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const scratch = await createScratchDatabase(adminUrl, 'search_latency');
  try {
    await run({ ...base, db: { kind: 'postgres', url: scratch.url } }, started);
  } finally {
    await scratch.drop();
  }
}

async function run(options: ServerOptions, started: number): Promise<void> {
  console.log(
    `Cairn search_memory latency, lexical, ${options.db.kind}: ${options.memories.toLocaleString('en-US')} memories in the searched workspace, ` +
      `${options.otherWorkspaces} other workspaces × ${options.otherMemories.toLocaleString('en-US')}; ${options.queries} LoCoMo questions × ${options.passes} passes; ` +
      `Node ${process.version}, ${cpus().length} cores, load ${load1().toFixed(2)}`,
  );
  if (options.db.kind === 'sqlite') console.log(`  SQLite file: ${options.db.dir} (reused when present; BENCH_NO_CACHE=1 to rebuild)`);
  const server = await startServer(options);
  try {
    const { ready } = server;
    console.log(
      ready.seedSeconds === null
        ? '  seeding: reused the cached database'
        : `  seeding: ${(ready.seeded.workspace + ready.seeded.others).toLocaleString('en-US')} memories through MemoryService.addMany in ${ready.seedSeconds.toFixed(1)} s`,
    );
    if (ready.plannerStats !== null) console.log(`  SQLite planner statistics (sqlite_stat1/4) for memories: ${ready.plannerStats ? 'present' : 'absent'}`);
    console.log(`  candidate rows ranked per query in the workspace (every 6th query counted): median ${ready.resultCounts.median.toLocaleString('en-US')}, max ${ready.resultCounts.max.toLocaleString('en-US')}, ${ready.resultCounts.empty} with none`);
    const base = `http://127.0.0.1:${ready.port}/mcp`;
    const call = (query: string) => callTool(base, ready.apiKey, query);
    const problem = await check(call, ready.queries[0]!);
    if (problem) throw new Error(`search_memory over MCP is broken, nothing measured: ${problem}`);
    const mcp = await timeCalls(call, ready.queries, options);
    const floor = await timeCalls(call, Array.from({ length: 200 }, () => NO_MATCH_QUERY), { ...options, passes: 1 });
    report(ready.service, mcp, floor);
    console.log(`\nwhole run ${((performance.now() - started) / 1000).toFixed(0)} s`);
  } finally {
    await server.stop();
    // A run that did not use the cache leaves nothing behind.
    if (options.db.kind === 'sqlite' && process.env.BENCH_NO_CACHE === '1') rmSync(options.db.dir, { recursive: true, force: true });
  }
}

function report(service: Latency, mcp: Latency, floor: Latency): void {
  const ms = (x: number) => x.toFixed(2).padStart(8);
  console.log(`\n${''.padEnd(44)}       n      p50      p90      p99      max     mean   load (start → end)`);
  const row = (label: string, l: Latency) =>
    console.log(`  ${label.padEnd(42)} ${String(l.n).padStart(6)} ${ms(l.p50)} ${ms(l.p90)} ${ms(l.p99)} ${ms(l.max)} ${ms(l.mean)}   ${l.load[0].toFixed(2)} → ${l.load[1].toFixed(2)}`);
  row('(a) MemoryService.search (ms)', service);
  row('(b) MCP tools/call search_memory, HTTP (ms)', mcp);
  row('    the same call, a query matching nothing', floor);
  console.log(`\ntarget: p50 <= ${TARGET.p50} ms and p99 <= ${TARGET.p99} ms`);
  for (const [label, l] of [['(a) service', service], ['(b) MCP end to end', mcp]] as const) {
    const verdict = (v: number, t: number) => `${v.toFixed(2)} ms ${v <= t ? 'met' : 'MISSED'}`;
    console.log(`  ${label.padEnd(20)} p50 ${verdict(l.p50, TARGET.p50)}, p99 ${verdict(l.p99, TARGET.p99)}`);
  }
}


let rpcId = 0;
async function callTool(url: string, apiKey: string, query: string): Promise<string> {
  const body = { jsonrpc: '2.0', id: ++rpcId, method: 'tools/call', params: { name: 'search_memory', arguments: { query, limit: 10 } } };
  const res = await fetch(url, { method: 'POST', headers: { ...MCP_HEADERS, authorization: `Bearer ${apiKey}` }, body: JSON.stringify(body) });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${text.slice(0, 300)}`);
  return text;
}

/** A stateless answer is JSON or a one-event SSE stream; it must carry a non-error tool result with results. */
async function check(call: (q: string) => Promise<string>, query: string): Promise<string | undefined> {
  const body = await call(query);
  const json = body.trimStart().startsWith('{') ? body : body.split('\n').find((l) => l.startsWith('data:'))?.slice(5);
  const result = json ? (JSON.parse(json) as { result?: { isError?: boolean; structuredContent?: { results?: unknown[] } } }).result : undefined;
  if (!result || result.isError) return `no tool result: ${body.slice(0, 300)}`;
  return (result.structuredContent?.results?.length ?? 0) > 0 ? undefined : `no search results for "${query}": ${body.slice(0, 300)}`;
}

/**
 * Where the seeded SQLite file is kept between runs: the temp dir, under a name that changes with anything
 * that changes the database (the generated text, the SQLite migrations, the sizes), so a stale file is never reused.
 */
function cacheDir(o: Pick<ServerOptions, 'memories' | 'otherWorkspaces' | 'otherMemories'>): string {
  const migrations = join(REPO_ROOT, 'migrations/sqlite');
  const hash = createHash('sha256');
  for (const f of readdirSync(migrations).sort()) hash.update(f).update(readFileSync(join(migrations, f)));
  const key = `c${CORPUS_VERSION}-${hash.digest('hex').slice(0, 10)}-${o.memories}-${o.otherWorkspaces}x${o.otherMemories}`;
  const dir = join(tmpdir(), `cairn-bench-search-latency-${key}`);
  return process.env.BENCH_NO_CACHE === '1' ? `${dir}-nocache-${process.pid}` : dir;
}

interface Server {
  readonly ready: ReadyMessage;
  /** Asks the server to close and resolves when it has exited. */
  stop(): Promise<void>;
}

/** Forks search-latency/server.ts and waits until it is seeded, measured and listening (at most 15 minutes). */
async function startServer(options: ServerOptions): Promise<Server> {
  const script = fileURLToPath(new URL('./search-latency/server.ts', import.meta.url));
  const child: ChildProcess = spawn(process.execPath, [...(process.env.BENCH_SERVER_NODE_OPTIONS?.split(' ').filter(Boolean) ?? []), '--import', 'tsx', script, JSON.stringify(options)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    return exited;
  };
  process.once('exit', () => void stop());
  const ready = await new Promise<ReadyMessage>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the server was not ready within 15 minutes')), 15 * 60_000);
    child.once('message', (m) => {
      clearTimeout(timer);
      resolve(m as ReadyMessage);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (code ${code}) before it was ready`));
    });
  });
  return { ready, stop };
}

function int(name: string, fallback: number, min = 1): number {
  const raw = process.env[name];
  const n = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be a whole number >= ${min}`);
  return n;
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
