import type { McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { runTool, type ToolContext, type ToolDeps } from '../tool-kit.js';

export const name = 'delete_memory';
export const scopes = ['memories:delete'] as const;
export const inputSchema = z.object({ id: z.string().min(1).max(64).describe('The memory id (mem_…).') });
export const description = 'Delete one memory the user asked you to forget.';

export function register(server: McpServer, deps: ToolDeps, ctx: ToolContext): void {
  server.registerTool(name, { description, inputSchema, annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true } }, async (args) =>
    runTool(ctx, async () => {
      await deps.memories.delete(ctx.principal, args.id);
      return { deleted: args.id };
    }),
  );
}
