import type { McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { MEMORY_STATES } from '../../../core/memories/memory.js';
import { MAX_PAGE } from '../../../core/memories/memory-service.js';
import { runTool, toolMemory, type ToolContext, type ToolDeps } from '../tool-kit.js';

export const name = 'list_memories';
export const scopes = ['memories:read'] as const;
export const inputSchema = z.object({
  limit: z.number().int().min(1).max(MAX_PAGE).optional().describe('Page size (default 50).'),
  cursor: z.string().max(200).optional().describe('next_cursor from the previous call.'),
  app: z.string().max(64).optional().describe('Only memories written by this app id.'),
  state: z.enum(MEMORY_STATES).optional().describe('Default: active.'),
});
export const description = 'List stored memories, newest first, a page at a time.';

export function register(server: McpServer, deps: ToolDeps, ctx: ToolContext): void {
  server.registerTool(name, { description, inputSchema, annotations: { readOnlyHint: true } }, async (args) =>
    runTool(ctx, async () => {
      const page = await deps.memories.list(ctx.principal, {
        ...(args.limit !== undefined ? { limit: args.limit } : {}),
        ...(args.cursor !== undefined ? { cursor: args.cursor } : {}),
        ...(args.app ? { appId: args.app } : {}),
        ...(args.state ? { state: args.state } : {}),
      });
      return { memories: page.memories.map(toolMemory), next_cursor: page.nextCursor };
    }),
  );
}
