import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Command } from 'commander';
import { exportAuditLines } from '../../core/audit/export.js';
import { withRuntime, type CliContext } from '../context.js';
import { CliError } from '../explain-error.js';

interface ExportOptions {
  workspace?: string;
  since?: string;
  until?: string;
  out?: string;
}

/**
 * `cairn audit export`: the audit log as NDJSON, one event per line, oldest first, read a page at a time. Without
 * --workspace it is every event, the server's own (retention sweeps, sign-ups) included.
 */
export function registerAuditCommands(program: Command, ctx: CliContext): void {
  const audit = program.command('audit').description('Read the audit log');
  audit
    .command('export')
    .description('Write audit events as NDJSON (one JSON object per line, oldest first)')
    .option('--workspace <id>', 'only this workspace (default: every event)')
    .option('--since <date>', 'events at or after this date or time (ISO 8601, e.g. 2026-01-01 or 2026-01-01T12:00:00Z)')
    .option('--until <date>', 'events before this date or time (ISO 8601)')
    .option('--out <file>', 'write to this file instead of standard output')
    .action(async (opts: ExportOptions) => {
      const since = opts.since === undefined ? undefined : parseDate('--since', opts.since);
      const until = opts.until === undefined ? undefined : parseDate('--until', opts.until);
      if (since !== undefined && until !== undefined && until <= since) throw new CliError('--until must be later than --since.');
      await withRuntime(ctx, async ({ services }) => {
        if (opts.workspace !== undefined) {
          const found = await services.storage.db.selectFrom('workspaces').select('id').where('id', '=', opts.workspace).executeTakeFirst();
          if (!found) throw new CliError(`There is no workspace ${opts.workspace}.`);
        }
        const lines = exportAuditLines(services.audit, {
          ...(opts.workspace !== undefined ? { workspaceId: opts.workspace } : {}),
          ...(since !== undefined ? { since } : {}),
          ...(until !== undefined ? { until } : {}),
        });
        let count = 0;
        if (opts.out === undefined) {
          for await (const line of lines) {
            ctx.out(line);
            count += 1;
          }
        } else {
          const file = createWriteStream(opts.out, { flags: 'w', mode: 0o600 });
          try {
            for await (const line of lines) {
              if (!file.write(line)) await once(file, 'drain');
              count += 1;
            }
          } finally {
            file.end();
            await once(file, 'close');
          }
        }
        ctx.err(`Exported ${count} audit event${count === 1 ? '' : 's'}${opts.out === undefined ? '' : ` to ${opts.out}`}.\n`);
      });
    });
}

/** A date (midnight UTC) or a date and time (UTC unless it names its offset); anything else is refused. */
function parseDate(flag: string, value: string): number {
  const m = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}:\d{2})?)?$/.exec(value.trim());
  const ms = m ? Date.parse(m[2] === undefined ? m[1]! : `${m[1]}T${m[2]}${m[3] ?? 'Z'}`) : NaN;
  if (Number.isNaN(ms)) throw new CliError(`${flag} must be an ISO 8601 date or time such as 2026-01-01 or 2026-01-01T12:00:00Z, not "${value}".`);
  return ms;
}
