import { ConfigError } from '../config/load.js';
import { AppError } from '../errors/app-error.js';
import { ERROR_CODES } from '../errors/codes.js';
import { MigrationError } from '../storage/migrate.js';

/** An error a command raises on purpose: its message is the whole story, printed as is (exit 1). */
export class CliError extends Error {
  override readonly name = 'CliError';
}

/**
 * What to tell a person about a failure, or `undefined` when the error is a bug (then the caller prints
 * the stack, because only a stack helps with a bug). Configuration, migration, database and file-system
 * problems are the user's to fix, so they get one readable paragraph and never a stack trace.
 */
export function explainError(err: unknown): string | undefined {
  if (err instanceof CliError || err instanceof ConfigError || err instanceof MigrationError) return err.message;
  if (err instanceof AppError) {
    if (err.code === 'UNAVAILABLE') return `The database is unreachable: ${unavailableDetail(err)}.`;
    if (ERROR_CODES[err.code].http < 500) return err.message;
    return undefined;
  }
  if (isSystemError(err)) return `${err.message}.`;
  return undefined;
}

/** The most specific reason available: the driver's own words (connect ECONNREFUSED 127.0.0.1:5432). */
function unavailableDetail(err: AppError): string {
  if (err.message !== ERROR_CODES.UNAVAILABLE.message) return err.message.replace(/\.$/, '');
  return causeText(err.cause) ?? 'no reason given';
}

function causeText(cause: unknown): string | undefined {
  if (cause instanceof AggregateError) {
    // A host name that resolves to several addresses fails once per address, with an empty outer message.
    const parts = cause.errors.map(causeText).filter((m): m is string => Boolean(m));
    return parts.length > 0 ? [...new Set(parts)].join('; ') : cause.message || undefined;
  }
  if (cause instanceof Error) return cause.message || (cause as NodeJS.ErrnoException).code || undefined;
  return undefined;
}

/** Node's own file and network errors (ENOENT, EACCES, ENOTDIR, EADDRINUSE…): the message names the path. */
function isSystemError(err: unknown): err is NodeJS.ErrnoException {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string' && typeof (err as NodeJS.ErrnoException).syscall === 'string';
}

/** One paragraph for a known failure, the stack for a bug. */
export function failureText(err: unknown): string {
  const known = explainError(err);
  if (known !== undefined) return known;
  return `Unexpected error (this is a bug in Cairn; please report it with the text below):\n${(err as Error)?.stack ?? String(err)}`;
}
