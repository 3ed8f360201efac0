import pino from 'pino';
import type { Embedder } from '../core/search/embedder.js';
import { createLogger } from '../logging.js';
import { openRuntime, type Runtime } from '../runtime.js';
import { pendingMigrations } from '../storage/migrate.js';
import { CliError } from './explain-error.js';

/** What a command may touch: its settings and its two output streams. Nothing reads `process` directly. */
export interface CliContext {
  readonly env: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Whether stderr is a terminal (progress bars) or a pipe or file (plain progress lines). */
  readonly isTTY?: boolean;
  /** An embedder to use instead of the configured one (tests). */
  readonly embedder?: Embedder;
  /** Results (the key, tables, JSON): what a script captures. */
  out(text: string): void;
  /**
   * Standard output as a stream, for commands that write a lot (`cairn export`): they wait for it to drain
   * when it is slower than the database (a pipe into gzip, ssh), instead of buffering the whole export in
   * memory. Without it they write through `out`.
   */
  readonly stdout?: NodeJS.WritableStream;
  /** Notes and errors for the person at the terminal, so `--json` output stays parseable. */
  err(text: string): void;
}

/**
 * Opens the runtime the way the server does (so a first `cairn user create` on a fresh data directory
 * creates the secret and the schema), runs `fn`, and always closes it, which flushes buffered audit
 * entries. Start-up notes go to stderr, never into the command's output.
 */
export async function withRuntime<T>(ctx: CliContext, fn: (runtime: Runtime) => Promise<T>, migrate: 'config' | 'always' = 'config'): Promise<T> {
  // Logs are for the server; a one-shot command only surfaces warnings, on stderr, as JSON lines.
  const logger = createLogger('warn', pino.destination({ dest: 2, sync: true }));
  const runtime = await openRuntime({ env: ctx.env, migrate, logger, ...(ctx.cwd ? { cwd: ctx.cwd } : {}), ...(ctx.embedder ? { embedder: ctx.embedder } : {}) });
  try {
    announceStartup(ctx, runtime, migrate);
    if (runtime.migrations === undefined) {
      const pending = await pendingMigrations(runtime.storage);
      if (pending.length > 0) {
        throw new CliError(
          `The database schema is not up to date (pending: ${pending.join(', ')}) and CAIRN_MIGRATE_ON_START is off. Apply the migrations first: npx cairn migrate`,
        );
      }
    }
    return await fn(runtime);
  } finally {
    await runtime.close();
  }
}

function announceStartup(ctx: CliContext, runtime: Runtime, migrate: 'config' | 'always'): void {
  const { config, migrations } = runtime;
  if (config.sources['CAIRN_SECRET'] === 'generated') {
    ctx.err(`Generated the server secret in ${config.dataDir}/secret. Back it up with the database: API keys cannot be verified without it.\n`);
  }
  // `cairn migrate` reports what it applied as its result; other commands mention it in passing.
  if (migrate === 'config' && migrations && migrations.applied.length > 0) {
    const where = config.database.dialect === 'sqlite' ? config.database.path : 'PostgreSQL';
    ctx.err(`Database ${where}: applied ${migrations.applied.join(', ')}.\n`);
  }
}
