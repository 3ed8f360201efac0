import type { Command } from 'commander';
import { withRuntime, type CliContext } from '../context.js';
import { formatJson } from '../format.js';

/**
 * `cairn retention run`: one retention sweep now, the same the server runs hourly: erases memories deleted longer
 * ago than CAIRN_DELETED_RETENTION_DAYS and audit events older than CAIRN_AUDIT_RETENTION_DAYS (0: kept forever).
 */
export function registerRetentionCommands(program: Command, ctx: CliContext): void {
  const retention = program.command('retention').description('Purge deleted memories and audit events past their retention period');
  retention
    .command('run')
    .description('Run one retention sweep now and print what it purged')
    .option('--json', 'print machine-readable JSON')
    .action(async (opts: { json?: boolean }) => {
      await withRuntime(ctx, async ({ config, services }) => {
        const report = await services.retention.sweep('cli');
        const { deletedMemoryDays, auditDays } = config.retention;
        if (opts.json) {
          ctx.out(
            formatJson({
              memories: report.memories,
              memoriesDeletedBefore: new Date(report.memoriesDeletedBefore).toISOString(),
              auditEvents: report.auditEvents,
              auditBefore: report.auditBefore === null ? null : new Date(report.auditBefore).toISOString(),
            }),
          );
          return;
        }
        ctx.out(
          `Purged ${plural(report.memories, 'deleted memory', 'deleted memories')} (deleted more than ${deletedMemoryDays} days ago) and ` +
            (report.auditBefore === null
              ? 'no audit events (CAIRN_AUDIT_RETENTION_DAYS is 0: kept forever).\n'
              : `${plural(report.auditEvents, 'audit event', 'audit events')} (older than ${auditDays} days).\n`),
        );
      });
    });
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}
