import type { McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { MAX_CONTENT_CHARS } from '../../../core/memories/memory.js';
import { runTool, toolMemory, type ToolContext, type ToolDeps } from '../tool-kit.js';

export const name = 'update_memory';
export const scopes = ['memories:write'] as const;
export const inputSchema = z.object({
  id: z.string().min(1).max(64).describe('The memory id (mem_…).'),
  text: z.string().min(1).max(MAX_CONTENT_CHARS).optional().describe('The corrected text.'),
  metadata: z.record(z.string(), z.unknown()).optional().describe('Replaces the metadata object.'),
  state: z.enum(['active', 'archived']).optional().describe('archived hides it from search; active restores it.'),
});
export const description = 'Correct or archive a memory that is out of date.';

export function register(server: McpServer, deps: ToolDeps, ctx: ToolContext): void {
  server.registerTool(name, { description, inputSchema, annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true } }, async (args) =>
    runTool(ctx, async () => {
      const memory = await deps.memories.update(ctx.principal, args.id, {
        ...(args.text !== undefined ? { content: args.text } : {}),
        ...(args.metadata !== undefined ? { metadata: args.metadata } : {}),
        ...(args.state !== undefined ? { state: args.state } : {}),
      });
      return { memory: toolMemory(memory) };
    }),
  );
}
