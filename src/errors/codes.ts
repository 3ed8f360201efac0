/**
 * The one error table. Code throws `AppError(code, …)` and never chooses an HTTP status; each surface
 * maps the code through this table in its own `to-*.ts`. Adding a code makes the compiler ask for every
 * mapping, because `ErrorSpec` has no optional fields.
 *
 * rpc: a JSON-RPC error code; `'tool'` = returned to the agent as an `isError` tool result so it can read
 * the message and try again; `null` = never reaches JSON-RPC (rejected at HTTP level first).
 */
export interface ErrorSpec {
  readonly http: number;
  readonly rpc: number | 'tool' | null;
  /** A safe default message for the wire when none is given. */
  readonly message: string;
}

export const ERROR_CODES = {
  INVALID_INPUT: { http: 400, rpc: -32602, message: 'The request is invalid.' },
  /** An import file with bad lines (details.errors: up to 100 {line, message}); nothing was written. */
  IMPORT_INVALID: { http: 400, rpc: null, message: 'The import file has invalid lines; nothing was imported.' },
  UNAUTHENTICATED: { http: 401, rpc: null, message: 'A valid credential is required.' },
  INSUFFICIENT_SCOPE: { http: 403, rpc: 'tool', message: 'The credential lacks a required scope.' },
  FORBIDDEN: { http: 403, rpc: 'tool', message: 'Your role in this workspace does not allow this.' },
  APP_PAUSED: { http: 403, rpc: 'tool', message: 'This app is paused in this workspace.' },
  APP_READ_ONLY: { http: 403, rpc: 'tool', message: 'This app may only read in this workspace.' },
  FORBIDDEN_ORIGIN: { http: 403, rpc: null, message: 'The Host or Origin of this request is not allowed.' },
  NOT_FOUND: { http: 404, rpc: 'tool', message: 'Not found.' },
  METHOD_NOT_ALLOWED: { http: 405, rpc: null, message: 'Method not allowed.' },
  CONFLICT: { http: 409, rpc: 'tool', message: 'The request conflicts with existing data.' },
  LAST_OWNER: { http: 409, rpc: 'tool', message: 'A workspace must keep at least one owner.' },
  INVITATION_USED: { http: 409, rpc: 'tool', message: 'This invitation has already been used or was revoked.' },
  INVITATION_EXPIRED: { http: 410, rpc: 'tool', message: 'This invitation has expired.' },
  INVITATION_EMAIL_MISMATCH: { http: 403, rpc: 'tool', message: 'This invitation is for another email address.' },
  PAYLOAD_TOO_LARGE: { http: 413, rpc: null, message: 'The request body is too large.' },
  UNSUPPORTED_MEDIA_TYPE: { http: 415, rpc: null, message: 'Unsupported content type.' },
  RATE_LIMITED: { http: 429, rpc: 'tool', message: 'Too many requests.' },
  INTERNAL: { http: 500, rpc: -32603, message: 'Internal server error.' },
  UNAVAILABLE: { http: 503, rpc: -32603, message: 'The service is temporarily unavailable; try again shortly.' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function specFor(code: ErrorCode): ErrorSpec {
  return ERROR_CODES[code];
}
