import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CommanderError } from 'commander';
import type { CliContext } from './context.js';
import { failureText } from './explain-error.js';
import { buildProgram, type RunState } from './program.js';

/** Exit codes: 0 ok; 1 a problem with the data or configuration (explained); 2 the command line itself. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/**
 * Runs one `cairn` command line. Resolves with the exit code, or `undefined` for `cairn serve`, whose
 * process lives on and sets its own exit code at shutdown.
 */
export async function runCli(argv: readonly string[], ctx: CliContext): Promise<number | undefined> {
  const state: RunState = { exitCode: EXIT.ok, serving: false };
  try {
    await buildProgram(ctx, state).parseAsync([...argv], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage; // --help and --version exit 0
    ctx.err(failureText(err).replace(/\n?$/, '\n'));
    return EXIT.failure;
  }
  return state.serving ? undefined : state.exitCode;
}

/** The process wiring shared by bin/cairn.js and direct runs: real env, real streams, exit code on return. */
export async function main(): Promise<void> {
  const code = await runCli(process.argv.slice(2), {
    env: process.env,
    isTTY: process.stderr.isTTY === true,
    out: (text) => process.stdout.write(text),
    stdout: process.stdout,
    err: (text) => process.stderr.write(text),
  });
  // Set, not process.exit(): exiting at once could cut off output still queued for a pipe.
  if (code !== undefined) process.exitCode = code;
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

if (isEntryPoint()) void main();
