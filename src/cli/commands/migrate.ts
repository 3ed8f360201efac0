import type { Command } from 'commander';
import { withRuntime, type CliContext } from '../context.js';
import { formatJson } from '../format.js';
import { describeDatabase } from '../redact.js';

/** `cairn migrate`: applies pending migrations now (for deployments that turn CAIRN_MIGRATE_ON_START off). */
export function registerMigrateCommand(program: Command, ctx: CliContext): void {
  program
    .command('migrate')
    .description('Apply pending database migrations')
    .option('--json', 'print machine-readable JSON')
    .action(async (opts: { json?: boolean }) => {
      await withRuntime(
        ctx,
        async ({ config, migrations }) => {
          const applied = migrations?.applied ?? [];
          const current = migrations?.current ?? 0;
          if (opts.json) {
            ctx.out(formatJson({ applied, version: current }));
            return;
          }
          const db = describeDatabase(config.database);
          ctx.out(
            applied.length === 0
              ? `${db} is up to date (schema version ${current}); nothing to apply.\n`
              : `Applied ${applied.length} migration${applied.length === 1 ? '' : 's'} to ${db}:\n${applied.map((f) => `  ${f}\n`).join('')}Schema version is now ${current}.\n`,
          );
        },
        'always',
      );
    });
}
