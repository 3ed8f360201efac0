import { Command } from 'commander';
import { VERSION } from '../version.js';
import { registerAuditCommands } from './commands/audit.js';
import { registerDoctorCommand } from './commands/doctor.js';
import { registerKeyCommands } from './commands/keys.js';
import { registerMigrateCommand } from './commands/migrate.js';
import { registerReindexCommand } from './commands/reindex.js';
import { registerRetentionCommands } from './commands/retention.js';
import { registerServeCommand } from './commands/serve.js';
import { registerSigningKeyCommands } from './commands/signing-keys.js';
import { registerTransferCommands } from './commands/transfer.js';
import { registerUserCommands } from './commands/users.js';
import { registerWorkspaceCommands } from './commands/workspaces.js';
import type { CliContext } from './context.js';

/** What running the program decided beyond success or failure. */
export interface RunState {
  exitCode: number;
  /** `cairn serve` keeps the process alive and manages its own exit code. */
  serving: boolean;
}

/**
 * The `cairn` command tree. Commander reports usage errors by throwing (exitOverride) instead of exiting,
 * so the caller chooses the exit code and output goes through `ctx`, not straight to the process.
 */
export function buildProgram(ctx: CliContext, state: RunState): Command {
  const program = new Command('cairn')
    .description('Cairn: a self-hosted memory server for AI agents.\nSettings come from CAIRN_* environment variables; see `cairn doctor`.')
    .version(VERSION, '-v, --version')
    .exitOverride()
    .configureOutput({ writeOut: (s) => ctx.out(s), writeErr: (s) => ctx.err(s) })
    .showHelpAfterError('(add --help for usage)')
    .showSuggestionAfterError();
  registerServeCommand(program, ctx, () => {
    state.serving = true;
  });
  registerMigrateCommand(program, ctx);
  registerDoctorCommand(program, ctx, (code) => {
    state.exitCode = code;
  });
  registerUserCommands(program, ctx);
  registerWorkspaceCommands(program, ctx);
  registerKeyCommands(program, ctx);
  registerSigningKeyCommands(program, ctx);
  registerReindexCommand(program, ctx);
  registerRetentionCommands(program, ctx);
  registerAuditCommands(program, ctx);
  registerTransferCommands(program, ctx);
  return program;
}
