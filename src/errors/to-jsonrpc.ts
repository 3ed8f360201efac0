import { toAppError } from './to-http.js';
import { ERROR_CODES } from './codes.js';

/** What a failing MCP tool returns: an `isError` result the agent can read, or a JSON-RPC error. */
export type ToolFailure =
  | { kind: 'tool'; result: { isError: true; content: { type: 'text'; text: string }[] } }
  | { kind: 'rpc'; code: number; message: string; log?: unknown };

/**
 * Maps an error thrown inside a tool. Domain failures (not found, conflict, missing scope) become an
 * `isError` result with the message and code, so the agent can correct itself; invalid input becomes
 * -32602; anything else is -32603 with a generic message (the real error goes to the log).
 */
export function toToolFailure(err: unknown): ToolFailure {
  const app = toAppError(err);
  const spec = ERROR_CODES[app.code];
  if (spec.rpc === 'tool') {
    const text = `${app.code}: ${app.message}`;
    return { kind: 'tool', result: { isError: true, content: [{ type: 'text', text }] } };
  }
  const code = spec.rpc ?? -32603;
  const expose = spec.http < 500;
  return {
    kind: 'rpc',
    code,
    message: expose ? app.message : spec.message,
    ...(expose ? {} : { log: err }),
  };
}

/** HTTP-level failures on the MCP endpoint (before JSON-RPC dispatch): status + a JSON-RPC error body with no id. */
export interface JsonRpcHttpError {
  status: number;
  body: { jsonrpc: '2.0'; error: { code: number; message: string; data?: Record<string, unknown> }; id: null | string | number };
  log?: unknown;
}

const PRE_DISPATCH_RPC_CODES: Partial<Record<string, number>> = {
  INVALID_INPUT: -32700,
  UNAUTHENTICATED: -32001,
  INSUFFICIENT_SCOPE: -32003,
  FORBIDDEN_ORIGIN: -32000,
  PAYLOAD_TOO_LARGE: -32000,
  UNSUPPORTED_MEDIA_TYPE: -32000,
  METHOD_NOT_ALLOWED: -32000,
  UNAVAILABLE: -32603,
  INTERNAL: -32603,
};

export function toJsonRpcHttpError(err: unknown, requestId: string, id: null | string | number = null): JsonRpcHttpError {
  const app = toAppError(err);
  const spec = ERROR_CODES[app.code];
  const expose = spec.http < 500;
  const code = PRE_DISPATCH_RPC_CODES[app.code] ?? (typeof spec.rpc === 'number' ? spec.rpc : -32000);
  const data: Record<string, unknown> = { code: app.code, requestId, ...(expose && app.details ? app.details : {}) };
  return {
    status: spec.http,
    body: { jsonrpc: '2.0', error: { code, message: expose ? app.message : spec.message, data }, id },
    ...(expose ? {} : { log: err }),
  };
}
