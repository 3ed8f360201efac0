import type { McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { runTool, type ToolContext, type ToolDeps } from '../tool-kit.js';

export const name = 'delete_all_memories';
export const scopes = ['memories:delete'] as const;
export const inputSchema = z.object({});
export const description = 'Delete every memory in this workspace. Only when the user explicitly asks to forget everything.';

export function register(server: McpServer, deps: ToolDeps, ctx: ToolContext): void {
  server.registerTool(name, { description, inputSchema, annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true } }, async () =>
    runTool(ctx, async () => ({ deleted: await deps.memories.deleteMany(ctx.principal, {}) })),
  );
}
