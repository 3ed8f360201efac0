import type { McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { MAX_CONTENT_CHARS } from '../../../core/memories/memory.js';
import { runTool, toolMemory, type ToolContext, type ToolDeps } from '../tool-kit.js';

export const name = 'add_memories';
export const scopes = ['memories:write'] as const;
export const inputSchema = z.object({
  text: z.string().min(1).max(MAX_CONTENT_CHARS).describe('The fact, preference or note to remember, in plain language.'),
  metadata: z.record(z.string(), z.unknown()).optional().describe('Optional JSON object stored with the memory (tags, source, …).'),
});
export const description =
  'Store a new memory. Call it whenever the user shares something worth remembering later: preferences, facts about themselves or their work, decisions. Adding the same text twice returns the existing memory.';

export function register(server: McpServer, deps: ToolDeps, ctx: ToolContext): void {
  server.registerTool(name, { description, inputSchema, annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true } }, async (args) =>
    runTool(ctx, async () => {
      const { memory, created } = await deps.memories.add(ctx.principal, { content: args.text, ...(args.metadata ? { metadata: args.metadata } : {}) });
      return { created, memory: toolMemory(memory) };
    }),
  );
}
