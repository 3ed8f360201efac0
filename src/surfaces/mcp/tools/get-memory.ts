import type { McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { runTool, toolMemory, type ToolContext, type ToolDeps } from '../tool-kit.js';

export const name = 'get_memory';
export const scopes = ['memories:read'] as const;
export const inputSchema = z.object({ id: z.string().min(1).max(64).describe('The memory id (mem_…).') });
export const description = 'Fetch one memory by its id.';

export function register(server: McpServer, deps: ToolDeps, ctx: ToolContext): void {
  server.registerTool(name, { description, inputSchema, annotations: { readOnlyHint: true } }, async (args) =>
    runTool(ctx, async () => ({ memory: toolMemory(await deps.memories.get(ctx.principal, args.id)) })),
  );
}
