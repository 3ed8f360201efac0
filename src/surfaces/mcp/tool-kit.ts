import type { CallToolResult } from '@modelcontextprotocol/server';
import type { MemoryService } from '../../core/memories/memory-service.js';
import type { Memory } from '../../core/memories/memory.js';
import type { Principal } from '../../core/principal.js';
import type { Scope } from '../../core/scopes.js';
import { toAppError } from '../../errors/to-http.js';
import { toToolFailure } from '../../errors/to-jsonrpc.js';
import type { AppError } from '../../errors/app-error.js';

export interface ToolDeps {
  readonly memories: MemoryService;
}

/** Per-request context a tool runs in: the verified principal, and where to report a store outage. */
export interface ToolContext {
  readonly principal: Principal;
  /** Set when a tool failed because the store is down, so the surface answers 503 instead of 200. */
  onUnavailable(err: AppError): void;
}

/** The scopes each tool needs, checked at HTTP level before dispatch (403 + challenge) and again in the core. */
export type ToolScopes = Readonly<Record<string, readonly Scope[]>>;

/** Runs a tool body; domain errors come back as an `isError` result the agent can read and act on. */
export async function runTool(ctx: ToolContext, body: () => Promise<unknown>): Promise<CallToolResult> {
  try {
    const payload = await body();
    return { content: [{ type: 'text', text: JSON.stringify(payload) }], structuredContent: payload as Record<string, unknown> };
  } catch (err) {
    const app = toAppError(err);
    if (app.code === 'UNAVAILABLE') ctx.onUnavailable(app);
    const failure = toToolFailure(err);
    if (failure.kind === 'tool') return failure.result;
    return { isError: true, content: [{ type: 'text', text: `${app.code}: ${failure.message}` }] };
  }
}

/** The memory as tools show it: compact, with ISO times. */
export function toolMemory(m: Memory): Record<string, unknown> {
  return {
    id: m.id,
    memory: m.content,
    metadata: m.metadata,
    state: m.state,
    app: m.appName,
    created_at: new Date(m.createdAt).toISOString(),
    updated_at: new Date(m.updatedAt).toISOString(),
  };
}

export function isoToMs(value: string | undefined): number | undefined {
  return value === undefined ? undefined : Date.parse(value);
}
