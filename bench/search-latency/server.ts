import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import { buildApp } from '../../src/app.js';
import type { Principal } from '../../src/core/principal.js';
import { createLogger } from '../../src/logging.js';
import { openRuntime, type Runtime } from '../../src/runtime.js';
import { loadLocomoText, memoryTexts, queries } from './corpus.js';
import { timeCalls, type Latency } from './stats.js';

/**
 * The search-latency benchmark's server, in its own process (bench/search-latency.ts forks it): opens the
 * real runtime on the seeded database (seeding it first when needed), times MemoryService.search in
 * process (what the search_memory tool calls), then serves the real app on 127.0.0.1 so the parent can
 * time the MCP tool end to end. It sends `ReadyMessage` when listening and exits when the parent leaves.
 */

export interface ServerOptions {
  readonly db: { readonly kind: 'sqlite'; readonly dir: string } | { readonly kind: 'postgres'; readonly url: string };
  readonly datasetPath: string;
  readonly memories: number;
  readonly otherWorkspaces: number;
  readonly otherMemories: number;
  readonly queries: number;
  readonly passes: number;
  readonly phaseSeconds: number;
}

export interface ReadyMessage {
  readonly port: number;
  readonly apiKey: string;
  readonly queries: readonly string[];
  /** null when the SQLite file came from the cache. */
  readonly seedSeconds: number | null;
  readonly seeded: { readonly workspace: number; readonly others: number };
  readonly service: Latency;
  /** Candidates per query (rows of the workspace the search ranks before its LIMIT; on SQLite not every row a common term matches): median and max. */
  readonly resultCounts: { readonly median: number; readonly max: number; readonly empty: number };
  /**
   * SQLite only: whether the file holds planner statistics (sqlite_stat1 or sqlite_stat4 rows for memories). They decide
   * the join order of a search, and a cached file keeps whatever an earlier run's code gathered.
   */
  readonly plannerStats: boolean | null;
}

/** Written last into the cache directory: its presence means the database is complete. */
interface CacheMeta {
  readonly apiKey: string;
  readonly seedSeconds: number;
  readonly seeded: ReadyMessage['seeded'];
}

const SECRET = 'cairn-bench-search-latency-secret-not-for-production-01';
const BATCH = 100;

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2]!) as ServerOptions;
  const source = loadLocomoText(options.datasetPath);
  const cachedMeta = options.db.kind === 'sqlite' ? readCache(options.db.dir) : undefined;
  if (options.db.kind === 'sqlite' && !cachedMeta) {
    rmSync(options.db.dir, { recursive: true, force: true });
    mkdirSync(options.db.dir, { recursive: true });
  }
  const runtime = await openRuntime({
    env: {
      CAIRN_DATA_DIR: options.db.kind === 'sqlite' ? options.db.dir : '/nonexistent',
      CAIRN_DATABASE_URL: options.db.kind === 'sqlite' ? `sqlite:${join(options.db.dir, 'cairn.db')}` : options.db.url,
      CAIRN_SECRET: SECRET,
      CAIRN_LOG_LEVEL: 'silent',
      CAIRN_PORT: '0',
    },
    migrate: 'always',
    logger: createLogger('silent'),
  });
  const meta = cachedMeta ?? (await seed(runtime, source, options));
  if (options.db.kind === 'sqlite' && !cachedMeta) writeCache(options.db.dir, meta);
  const verified = await runtime.services.verifier.verify(meta.apiKey);
  if (!verified.ok) throw new Error(`the benchmark key does not verify (${verified.reason}); delete the cache directory and rerun`);
  const principal = verified.principal;

  const plannerStats = options.db.kind === 'sqlite' ? await hasPlannerStats(runtime) : null;
  const asked = queries(source, options.queries);
  const resultCounts = await countMatches(runtime, principal, asked);
  // The server's flushers run during the measurement, as in production: a flush of buffered access-log
  // entries that lands inside a timed search is part of its latency.
  runtime.services.start();
  const service = await timeCalls((query) => runtime.services.memories.search(principal, { query, limit: 10 }), asked, options);

  const app = await buildApp({ config: runtime.config, services: runtime.services, logger: runtime.logger });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  let closing = false;
  const shutdown = async () => {
    if (closing) return;
    closing = true;
    await app.close().catch(() => undefined);
    await runtime.close().catch(() => undefined);
    process.exit(0);
  };
  process.on('disconnect', () => void shutdown());
  process.on('SIGTERM', () => void shutdown());
  const ready: ReadyMessage = {
    port: address.port,
    apiKey: meta.apiKey,
    queries: asked,
    seedSeconds: cachedMeta ? null : meta.seedSeconds,
    seeded: meta.seeded,
    service,
    resultCounts,
    plannerStats,
  };
  process.send?.(ready);
}

/**
 * One workspace of `memories`, then `otherWorkspaces` of `otherMemories` each (so the full-text index holds
 * other workspaces' rows too, as on a shared server), all through MemoryService.addMany in batches of 100:
 * the real insert path, with its duplicate check, audit rows and full-text triggers.
 */
async function seed(runtime: Runtime, source: ReturnType<typeof loadLocomoText>, options: ServerOptions): Promise<CacheMeta> {
  const started = performance.now();
  const { services } = runtime;
  const principals: { principal: Principal; apiKey: string; count: number }[] = [];
  for (let w = 0; w <= options.otherWorkspaces; w++) {
    const owner = await services.users.create({ email: `bench-${w}@example.com`, name: `bench ${w}` });
    const { key } = await services.apiKeys.create(
      { userId: owner.user.id, workspaceId: owner.workspace.id },
      { name: 'bench', scopes: ['memories:read', 'memories:write'], expiresAt: null },
      { kind: 'cli', credentialId: null },
    );
    const verified = await services.verifier.verify(key);
    if (!verified.ok) throw new Error(`seed: a new key did not verify (${verified.reason})`);
    principals.push({ principal: verified.principal, apiKey: key, count: w === 0 ? options.memories : options.otherMemories });
  }
  let created = 0;
  for (const [w, { principal, count }] of principals.entries()) {
    let batch: { content: string }[] = [];
    for (const content of memoryTexts(source, count, 1 + w * 1_000_003)) {
      batch.push({ content });
      if (batch.length === BATCH) {
        created += await addBatch(runtime, principal, batch);
        batch = [];
      }
      if (created % 10_000 === 0 && batch.length === 0) process.stderr.write(`  seeded ${created.toLocaleString('en-US')} memories\n`);
    }
    if (batch.length > 0) created += await addBatch(runtime, principal, batch);
  }
  await services.accessLog.flush();
  // PostgreSQL plans from statistics that autovacuum would gather soon after a bulk load; gather them now
  // so the first measured queries are planned as they would be on a server that has been running.
  if (runtime.storage.dialect.name === 'postgres') await sql`ANALYZE`.execute(runtime.storage.db);
  const seedSeconds = (performance.now() - started) / 1000;
  return { apiKey: principals[0]!.apiKey, seedSeconds, seeded: { workspace: options.memories, others: options.otherWorkspaces * options.otherMemories } };
}

async function addBatch(runtime: Runtime, principal: Principal, batch: { content: string }[]): Promise<number> {
  const outcomes = await runtime.services.memories.addMany(principal, batch);
  const created = outcomes.filter((o) => o.created).length;
  if (created !== batch.length) throw new Error(`seed: ${batch.length - created} generated memories were duplicates`);
  return created;
}


/**
 * How many rows a query matches in the workspace, i.e. what the ranking has to score and sort before its
 * LIMIT 10: counted for every 6th query (counting costs as much as a search).
 */
async function countMatches(runtime: Runtime, principal: Principal, asked: readonly string[]): Promise<ReadyMessage['resultCounts']> {
  const counts: number[] = [];
  for (let i = 0; i < asked.length; i += 6) counts.push(await fullCount(runtime, principal, asked[i]!));
  const sorted = [...counts].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)]!, max: sorted[sorted.length - 1]!, empty: counts.filter((c) => c === 0).length };
}

/** The candidate rows of the workspace a search ranks: the same search with no limit, counted. */
async function fullCount(runtime: Runtime, principal: Principal, query: string): Promise<number> {
  const { db, dialect } = runtime.storage;
  const ranked = await dialect.rankedSearch(db, query, {
    limit: Number.MAX_SAFE_INTEGER,
    scope: (q) => q.where('m.workspace_id', '=', principal.workspaceId).where('m.state', '=', 'active'),
  });
  return ranked.length;
}

async function hasPlannerStats(runtime: Runtime): Promise<boolean> {
  const { db } = runtime.storage;
  // ANALYZE writes sqlite_stat1 and, in better-sqlite3's build (SQLITE_ENABLE_STAT4), sqlite_stat4: either one
  // changes the plan.
  const tables = await sql<{ name: string }>`SELECT name FROM sqlite_master WHERE name IN ('sqlite_stat1', 'sqlite_stat4')`.execute(db);
  for (const { name } of tables.rows) {
    const rows = await sql<{ n: number }>`SELECT count(*) AS n FROM ${sql.table(name)} WHERE tbl = 'memories'`.execute(db);
    if (Number(rows.rows[0]?.n ?? 0) > 0) return true;
  }
  return false;
}

function readCache(dir: string): CacheMeta | undefined {
  const file = join(dir, 'meta.json');
  if (!existsSync(file) || !existsSync(join(dir, 'cairn.db'))) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as CacheMeta;
}

function writeCache(dir: string, meta: CacheMeta): void {
  writeFileSync(join(dir, 'meta.json.tmp'), JSON.stringify(meta));
  renameSync(join(dir, 'meta.json.tmp'), join(dir, 'meta.json'));
}

main().catch((err: unknown) => {
  console.error('search-latency server failed:', err);
  process.exit(1);
});
