import type { FastifyError } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { AppError, isAppError } from './app-error.js';
import { ERROR_CODES } from './codes.js';

/** The one JSON error envelope of the REST surface (and of anything else that answers HTTP JSON). */
export interface HttpErrorBody {
  error: { code: string; message: string; requestId: string; details?: Record<string, unknown> };
}

export interface HttpError {
  status: number;
  body: HttpErrorBody;
  /** The error to log: set for 5xx, where the wire shows only the generic message. */
  log?: unknown;
}

/**
 * Turns anything thrown into the wire envelope. Framework errors (bad JSON, body too large, schema
 * validation) become the matching code so every error a client sees has the same shape.
 */
export function toHttpError(err: unknown, requestId: string): HttpError {
  const app = toAppError(err);
  const spec = ERROR_CODES[app.code];
  const expose = spec.http < 500;
  const body: HttpErrorBody = {
    error: { code: app.code, message: expose ? app.message : spec.message, requestId },
  };
  if (expose && app.details) body.error.details = app.details;
  return { status: spec.http, body, ...(expose ? {} : { log: err }) };
}

export function toAppError(err: unknown): AppError {
  if (isAppError(err)) return err;
  // A thrown string, null or undefined: the framework checks below use `in` and property access on it.
  if (err === null || typeof err !== 'object') return new AppError('INTERNAL', undefined, undefined, { cause: err });
  const fe = err as Partial<FastifyError> & { validation?: unknown };
  if (hasZodFastifySchemaValidationErrors(err)) {
    const issues = err.validation.map((v) => ({
      field: [err.validationContext, ...pathOf(v.instancePath)].filter(Boolean).join('.'),
      message: v.message ?? 'invalid',
    }));
    const first = issues[0];
    const message = first ? `Invalid ${first.field || 'input'}: ${first.message}` : 'Invalid input.';
    return new AppError('INVALID_INPUT', message, { issues });
  }
  if (isResponseSerializationError(err)) return new AppError('INTERNAL', undefined, undefined, { cause: err });
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('PAYLOAD_TOO_LARGE', fe.message);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError('UNSUPPORTED_MEDIA_TYPE', fe.message);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new AppError('INVALID_INPUT', 'The request body is not valid JSON.');
    case 'FST_ERR_VALIDATION':
      return new AppError('INVALID_INPUT', fe.message);
    default:
      break;
  }
  if (fe.statusCode === 400 || (fe as { name?: string }).name === 'SyntaxError') {
    return new AppError('INVALID_INPUT', 'The request body is not valid JSON.');
  }
  if (fe.statusCode === 413) return new AppError('PAYLOAD_TOO_LARGE');
  if (fe.statusCode === 415) return new AppError('UNSUPPORTED_MEDIA_TYPE');
  return new AppError('INTERNAL', undefined, undefined, { cause: err });
}

function pathOf(instancePath: string | undefined): string[] {
  return (instancePath ?? '').split('/').filter(Boolean);
}
