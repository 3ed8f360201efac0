import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { InvalidArgumentError, type Command } from 'commander';
import { SCOPES } from '../../core/scopes.js';
import { IMPORT_FORMATS, type ImportFormat, type LineError } from '../../core/transfer/format.js';
import type { ImportReport, TransferPrincipal } from '../../core/transfer/transfer-service.js';
import { AppError } from '../../errors/app-error.js';
import type { Runtime } from '../../runtime.js';
import { withRuntime, type CliContext } from '../context.js';
import { CliError } from '../explain-error.js';
import { formatJson } from '../format.js';
import { Progress } from '../progress.js';

/** The app the CLI exports and imports as, in each workspace it touches (created on first use). */
export const CLI_APP_NAME = 'CLI';

type Services = Runtime['services'];

/** `cairn export` and `cairn import`: a workspace to and from Cairn JSONL, on the server machine (docs/import-export.md). */
export function registerTransferCommands(program: Command, ctx: CliContext): void {
  program
    .command('export')
    .description('Write a workspace (memories, metadata, apps, history) as Cairn JSONL')
    .requiredOption('--workspace <id>', 'the workspace to export (ws_…)')
    .option('--out <file>', 'write to this file (default: standard output)')
    .option('--as <email>', 'the member the export is recorded for (default: the workspace’s owner)')
    .action(async (opts: { workspace: string; out?: string; as?: string }) => {
      await withRuntime(ctx, async ({ services }) => {
        const principal = await cliPrincipal(services, opts.workspace, opts.as);
        const total = await memoryCount(services, opts.workspace);
        const lines = await services.transfer.export(principal);
        const progress = new Progress(ctx, total, 'export');
        const file = opts.out === undefined ? undefined : createWriteStream(opts.out, { flags: 'w' });
        let memories = 0;
        let versions = 0;
        try {
          for await (const line of lines) {
            if (line.startsWith('{"type":"memory"')) {
              memories += 1;
              progress.update(memories);
            } else if (line.startsWith('{"type":"version"')) versions += 1;
            // A file or standard output that is slower than the reads makes the export wait, never buffer.
            const sink = file ?? ctx.stdout;
            if (sink) {
              if (!sink.write(`${line}\n`)) await once(sink, 'drain');
            } else ctx.out(`${line}\n`);
          }
        } finally {
          if (file) await new Promise<void>((resolve, reject) => file.end((err?: Error | null) => (err ? reject(err) : resolve())));
        }
        progress.done();
        ctx.err(`Exported ${memories} memories with ${versions} versions from workspace ${opts.workspace}${opts.out ? ` to ${opts.out}` : ''}.\n`);
      });
    });

  program
    .command('import')
    .description('Import memories into a workspace: a Cairn export, an OpenMemory/mem0 export or a server-memory graph')
    .requiredOption('--workspace <id>', 'the workspace to import into (ws_…)')
    .argument('<file>', 'the file to import')
    .option('--format <format>', `${IMPORT_FORMATS.join(', ')} (default: auto, from the first line)`, formatOption, 'auto')
    .option('--skip-bad-lines', 'import the valid lines and report the bad ones (default: any bad line and nothing is imported)')
    .option('--as <email>', 'the member the memories are imported as when their author is not a member (default: the workspace’s owner)')
    .option('--json', 'print the report as JSON')
    .action(async (file: string, opts: { workspace: string; format: ImportFormat; skipBadLines?: boolean; as?: string; json?: boolean }) => {
      await withRuntime(ctx, async ({ services, config }) => {
        const principal = await cliPrincipal(services, opts.workspace, opts.as);
        let progress: Progress | undefined;
        let report: ImportReport;
        try {
          report = await services.transfer.import(principal, createReadStream(file), {
            format: opts.format,
            onError: opts.skipBadLines ? 'skip' : 'abort',
            maxBytes: config.http.importMaxBytes,
            progress: (done, total) => {
              progress ??= new Progress(ctx, total, 'import');
              progress.update(done);
            },
          });
        } catch (err) {
          if (err instanceof AppError && err.code === 'IMPORT_INVALID') {
            const errors = (err.details?.errors ?? []) as LineError[];
            const count = Number(err.details?.errorCount ?? errors.length);
            throw new CliError(`${err.message}\n${lineReport(file, errors, count)}`);
          }
          throw err;
        } finally {
          progress?.done();
        }
        if (opts.json) {
          ctx.out(formatJson(report));
          return;
        }
        ctx.out(
          `Imported ${file} (${report.format}) into workspace ${opts.workspace}: ${report.created} created, ${report.unchanged} unchanged, ${report.duplicates} duplicates, ${report.reattributed} reattributed.\n` +
            (report.apps.some((a) => a.created) ? `New apps: ${report.apps.filter((a) => a.created).map((a) => `${a.name} (${a.access})`).join(', ')}.\n` : ''),
        );
        if (report.skippedCount > 0) ctx.err(`Skipped ${report.skippedCount} bad line${report.skippedCount === 1 ? '' : 's'}:\n${lineReport(file, report.skipped, report.skippedCount)}`);
      });
    });
}

function formatOption(value: string): ImportFormat {
  if (!(IMPORT_FORMATS as readonly string[]).includes(value)) throw new InvalidArgumentError(`must be one of ${IMPORT_FORMATS.join(', ')}`);
  return value as ImportFormat;
}

/** `file:line: message`, one a line, as compilers print them; "…and N more" past the listed ones. */
function lineReport(file: string, errors: readonly LineError[], count: number): string {
  const listed = errors.map((e) => `  ${file}:${e.line}: ${e.message}\n`).join('');
  return count > errors.length ? `${listed}  …and ${count - errors.length} more\n` : listed;
}

/**
 * The CLI acts for a member of the workspace (default: its owner), with every scope, through the app
 * "CLI" of that workspace, so app controls apply to it like to any other app.
 */
async function cliPrincipal(services: Services, workspaceId: string, email: string | undefined): Promise<TransferPrincipal> {
  const userId = email === undefined ? await ownerOf(services, workspaceId) : await memberByEmail(services, workspaceId, email);
  const app = await services.apps.ensure(workspaceId, CLI_APP_NAME, Date.now());
  return { userId, workspaceId, scopes: new Set(SCOPES), credential: { kind: 'cli', id: null }, appId: app.id };
}

async function ownerOf(services: Services, workspaceId: string): Promise<string> {
  const row = await services.storage.db
    .selectFrom('memberships')
    .select('user_id')
    .where('workspace_id', '=', workspaceId)
    .where('role', '=', 'owner')
    .orderBy('created_at')
    .limit(1)
    .executeTakeFirst();
  if (!row) throw new CliError(`There is no workspace ${workspaceId}. A user's workspaces are listed by: npx cairn user list`);
  return row.user_id;
}

async function memberByEmail(services: Services, workspaceId: string, email: string): Promise<string> {
  const user = await services.users.byEmail(email).catch((err: unknown) => {
    if (err instanceof AppError && err.code === 'NOT_FOUND') throw new CliError(`There is no user with the email ${email.trim().toLowerCase()}. List users with: npx cairn user list`);
    throw err;
  });
  await services.users.resolveWorkspace(user.id, workspaceId).catch((err: unknown) => {
    if (err instanceof AppError && err.code === 'NOT_FOUND') throw new CliError(`${user.email} is not a member of a workspace ${workspaceId}.`);
    throw err;
  });
  return user.id;
}

async function memoryCount(services: Services, workspaceId: string): Promise<number> {
  const row = await services.storage.db.selectFrom('memories').select((eb) => eb.fn.countAll().as('n')).where('workspace_id', '=', workspaceId).executeTakeFirstOrThrow();
  return Number(row.n);
}
