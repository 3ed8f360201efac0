/**
 * LoCoMo retrieval evaluation (issue 6, "Evaluation first"): how often Cairn's search puts a question's
 * evidence turns in its top 5 / top 10, against a plain in-memory BM25 reference.
 *
 *   node --import tsx bench/retrieval/run.ts [--db sqlite|postgres|both] [--json out.json] [--variants]
 *
 * See bench/retrieval/README.md.
 */
import { writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { bm25Retriever } from './bm25-reference.js';
import { cairnRetriever, type CairnDatabase } from './cairn-retriever.js';
import { evaluate } from './evaluate.js';
import { DatasetMissingError, loadLocomo, type LoadReport } from './locomo.js';
import type { SystemResult } from './metrics.js';
import { createScratchDatabase } from '../postgres-scratch.js';
import { AS_IS, QUERY_VARIANTS, type QueryVariant } from './query-variants.js';
import type { Retriever } from './retriever.js';
import { categoryTable, summaryTable } from './table.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DEFAULT_DATASET = resolve(REPO_ROOT, '../shared/data/locomo/locomo10.json');

type DbChoice = 'sqlite' | 'postgres' | 'both';

interface Options {
  readonly db: DbChoice;
  readonly json: string | undefined;
  readonly variants: readonly QueryVariant[];
  readonly datasetPath: string;
  readonly postgresUrl: string | undefined;
  /** CAIRN_EMBEDDER* settings; when CAIRN_EMBEDDER is set, each database is also run in hybrid mode. */
  readonly embedderEnv: Readonly<Record<string, string>> | undefined;
}

function readOptions(argv: string[], env: NodeJS.ProcessEnv): Options {
  const { values } = parseArgs({
    args: argv,
    options: { db: { type: 'string' }, json: { type: 'string' }, variants: { type: 'boolean', default: false }, help: { type: 'boolean', default: false } },
  });
  if (values.help) {
    process.stdout.write('usage: node --import tsx bench/retrieval/run.ts [--db sqlite|postgres|both] [--json out.json] [--variants]\n');
    process.exit(0);
  }
  const postgresUrl = env.CAIRN_DATABASE_URL && /^postgres(ql)?:\/\//i.test(env.CAIRN_DATABASE_URL) ? env.CAIRN_DATABASE_URL : undefined;
  const db = (values.db ?? (postgresUrl ? 'postgres' : 'sqlite')) as DbChoice;
  if (!['sqlite', 'postgres', 'both'].includes(db)) throw new UsageError(`--db must be sqlite, postgres or both (got "${db}").`);
  if (db !== 'sqlite' && !postgresUrl) throw new UsageError(`--db ${db} needs CAIRN_DATABASE_URL=postgres://user@host:port/db (a role that may CREATE DATABASE).`);
  return {
    db,
    json: values.json,
    variants: values.variants ? QUERY_VARIANTS : [AS_IS],
    datasetPath: env.LOCOMO_PATH ? resolve(env.LOCOMO_PATH) : DEFAULT_DATASET,
    postgresUrl,
    embedderEnv:
      env.CAIRN_EMBEDDER && env.CAIRN_EMBEDDER !== 'none'
        ? Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[0].startsWith('CAIRN_EMBEDDER') && e[1] !== undefined))
      : undefined,
  };
}

class UsageError extends Error {}

/** Opens a system, evaluates it, and closes it (and its scratch database) whatever happens. */
async function runSystem(open: () => Promise<Retriever>, conversations: Parameters<typeof evaluate>[1], variants: readonly QueryVariant[], log: (s: string) => void) {
  const started = performance.now();
  const retriever = await open();
  try {
    log(`running ${retriever.name} …`);
    return await evaluate(retriever, conversations, variants);
  } finally {
    await retriever.close();
    log(`  done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
}

function describeDataset(path: string, conversations: number, questions: number, memories: number, report: LoadReport): string {
  return [
    `LoCoMo: ${path}`,
    `  ${conversations} conversations, ${report.turns} turns → ${memories} distinct memories (identical turns share one)`,
    `  ${report.qaItems} QA items of categories 1-4 → ${questions} asked; ${report.skippedQuestions} skipped (no valid evidence)`,
    `  evidence: ${report.repairedEvidence} strings split or repaired; ${report.droppedEvidence.length} ids dropped: ${report.droppedEvidence.join(', ') || 'none'}`,
  ].join('\n');
}

async function main(): Promise<void> {
  const options = readOptions(process.argv.slice(2), process.env);
  const started = performance.now();
  const { conversations, report } = loadLocomo(options.datasetPath);
  const questions = conversations.reduce((n, c) => n + c.questions.length, 0);
  const memories = conversations.reduce((n, c) => n + new Set(c.turns.map((t) => t.content.normalize('NFC').trim())).size, 0);
  const log = (s: string) => process.stderr.write(`${s}\n`);
  log(describeDataset(options.datasetPath, conversations.length, questions, memories, report));

  const results: SystemResult[] = [];
  const databases: CairnDatabase['kind'][] = options.db === 'both' ? ['sqlite', 'postgres'] : [options.db];
  const modes = options.embedderEnv ? [undefined, { embedderEnv: options.embedderEnv }] : [undefined];
  for (const kind of databases) {
    for (const hybrid of modes) {
      if (kind === 'sqlite') {
        results.push(...(await runSystem(() => cairnRetriever({ kind: 'sqlite' }, hybrid), conversations, options.variants, log)));
        continue;
      }
      const scratch = await createScratchDatabase(options.postgresUrl!, 'retrieval');
      try {
        results.push(...(await runSystem(() => cairnRetriever({ kind: 'postgres', url: scratch.url }, hybrid), conversations, options.variants, log)));
      } finally {
        await scratch.drop();
      }
    }
  }
  results.push(...(await runSystem(async () => bm25Retriever(), conversations, options.variants, log)));
  const elapsedS = (performance.now() - started) / 1000;

  const out = process.stdout;
  out.write(`\n${describeDataset(options.datasetPath, conversations.length, questions, memories, report)}\n\n`);
  for (const r of results) out.write(`${categoryTable(r)}\n\n`);
  out.write(`Summary (search limit 10; latency measured around MemoryService.search / the in-memory search)\n${summaryTable(results)}\n`);
  out.write(`\ntotal run time ${elapsedS.toFixed(1)} s\n`);
  if (options.json) {
    const dataset = { path: options.datasetPath, conversations: conversations.length, memories, questions, ...report };
    writeFileSync(options.json, `${JSON.stringify({ dataset, results, elapsedS }, null, 2)}\n`);
    log(`wrote ${options.json}`);
  }
}

main().catch((err: unknown) => {
  const expected = err instanceof DatasetMissingError || err instanceof UsageError;
  process.stderr.write(`${expected ? (err as Error).message : (err instanceof Error ? err.stack : String(err))}\n`);
  process.exit(expected ? 2 : 1);
});
