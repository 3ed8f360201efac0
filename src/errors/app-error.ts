import { ERROR_CODES, type ErrorCode } from './codes.js';

/** Structured, safe-to-show details (field names, a required scope, an existing id). Never secrets. */
export type ErrorDetails = Record<string, unknown>;

/**
 * The only error type the domain throws on purpose. `message` is shown to the caller when the code's
 * status is below 500; anything 5xx is replaced by the table's generic text on the wire and logged.
 */
export class AppError extends Error {
  override readonly name = 'AppError';
  constructor(
    readonly code: ErrorCode,
    message?: string,
    readonly details?: ErrorDetails,
    options?: { cause?: unknown },
  ) {
    super(message ?? ERROR_CODES[code].message, options);
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}

/** A scope the credential lacks: 403 naming every scope the operation needs. */
export function insufficientScope(required: readonly string[]): AppError {
  return new AppError('INSUFFICIENT_SCOPE', `This operation requires the scope ${required.join(' ')}.`, {
    requiredScopes: [...required],
  });
}

/** The same answer for "does not exist" and "exists but is not yours", so ids do not leak. */
export function notFound(what: string): AppError {
  return new AppError('NOT_FOUND', `${what} not found.`);
}
