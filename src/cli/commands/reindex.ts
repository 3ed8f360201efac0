import type { Command } from 'commander';
import type { Embedder } from '../../core/search/embedder.js';
import type { Services } from '../../services.js';
import { withRuntime, type CliContext } from '../context.js';
import { CliError } from '../explain-error.js';
import { formatJson } from '../format.js';
import { Progress } from '../progress.js';

interface ReindexOptions {
  workspace?: string;
  all?: boolean;
  json?: boolean;
}

/**
 * `cairn reindex`: queues the memories whose vector is missing or stale (made by another model, e.g.
 * after changing the embedder), or every memory with --all, then embeds the queue here with progress.
 * Resumable: the queue is in the database, so an interrupted run loses nothing, and running
 * `cairn reindex` again continues where it stopped (a running server also works through the queue).
 */
export function registerReindexCommand(program: Command, ctx: CliContext): void {
  program
    .command('reindex')
    .description('Build missing or stale memory vectors with the configured embedder (resumable)')
    .option('--workspace <id>', 'only this workspace (default: every workspace)')
    .option('--all', 'rebuild every vector, not only missing and stale ones')
    .option('--json', 'print machine-readable JSON')
    .action(async (opts: ReindexOptions) => {
      await withRuntime(ctx, async ({ services }) => {
        const { embedder, embeddings } = services;
        if (!embedder || !embeddings) {
          throw new CliError('No embedder is configured, so there is nothing to index: configure one (see `cairn doctor`) and run `cairn reindex` again.');
        }
        const queued = await embeddings.queue.enqueueStale(
          await modelIdOf(embedder),
          { ...(opts.workspace ? { workspaceId: opts.workspace } : {}), ...(opts.all ? { all: true } : {}) },
          Date.now(),
        );
        const progress = new Progress(ctx, queued, 'reindex', opts.json === true);
        let embedded = 0;
        await embeddings.worker.drain((report) => {
          embedded += report.embedded;
          progress.advance(report.claimed);
          // Every text of the batch failed: the embedder is down or refusing; stop rather than hammer it.
          return !(report.failed === report.claimed && report.embedded === 0);
        });
        progress.done();
        const remaining = await embeddings.queue.pending(opts.workspace);
        const lastError = remaining > 0 ? await lastJobError(services, opts.workspace) : undefined;
        const summary = { model: embedder.id, queued, embedded, remaining, ...(lastError ? { lastError } : {}) };
        if (opts.json) ctx.out(formatJson(summary));
        else ctx.out(`Embedded ${embedded} of ${queued} queued memories with ${embedder.id}${opts.workspace ? ` in ${opts.workspace}` : ''}.\n`);
        if (remaining > 0) {
          throw new CliError(
            `${remaining} memories are still waiting for a vector${lastError ? ` (last error: ${lastError})` : ''}. They stay queued: run \`cairn reindex\` again, or leave them to the server, which retries with backoff.`,
          );
        }
      });
    });
}

/**
 * The embedder's id names its model and dimensions. A provider that learns its dimensions from its first
 * answer cannot say it before answering once, so one short text is embedded first; an unreachable
 * provider fails the command here, before anything is queued.
 */
async function modelIdOf(embedder: Embedder): Promise<string> {
  try {
    return embedder.id;
  } catch {
    try {
      await embedder.embed(['cairn reindex']);
    } catch (err) {
      throw new CliError(`The embedder is not answering, so nothing was reindexed: ${(err as Error).message}`);
    }
    return embedder.id;
  }
}

/** The most recent embedder error among the jobs left, to say why they are left. */
async function lastJobError(services: Services, workspaceId: string | undefined): Promise<string | undefined> {
  let q = services.storage.db.selectFrom('embedding_jobs').select('last_error').where('last_error', 'is not', null).orderBy('next_attempt_at', 'desc').limit(1);
  if (workspaceId) q = q.where('workspace_id', '=', workspaceId);
  return (await q.executeTakeFirst())?.last_error ?? undefined;
}
