import type { McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { MAX_SEARCH_LIMIT } from '../../../core/memories/memory-service.js';
import { isoToMs, runTool, toolMemory, type ToolContext, type ToolDeps } from '../tool-kit.js';

export const name = 'search_memory';
export const scopes = ['memories:read'] as const;
export const inputSchema = z.object({
  query: z.string().min(1).max(2000).describe('What to look for, in natural language.'),
  limit: z.number().int().min(1).max(MAX_SEARCH_LIMIT).optional().describe('Most results to return (default 10).'),
  app: z.string().max(64).optional().describe('Only memories written by this app id.'),
  since: z.iso.datetime({ offset: true }).optional().describe('Only memories created at or after this ISO time.'),
  until: z.iso.datetime({ offset: true }).optional().describe('Only memories created before this ISO time.'),
});
export const description = 'Search stored memories by relevance. Call it before answering anything that may depend on what the user told you before.';

export function register(server: McpServer, deps: ToolDeps, ctx: ToolContext): void {
  server.registerTool(name, { description, inputSchema, annotations: { readOnlyHint: true } }, async (args) =>
    runTool(ctx, async () => {
      const hits = await deps.memories.search(ctx.principal, {
        query: args.query,
        ...(args.limit !== undefined ? { limit: args.limit } : {}),
        filters: {
          ...(args.app ? { appId: args.app } : {}),
          ...(args.since ? { since: isoToMs(args.since)! } : {}),
          ...(args.until ? { until: isoToMs(args.until)! } : {}),
        },
      });
      return { results: hits.map((h) => ({ ...toolMemory(h.memory), score: h.score })) };
    }),
  );
}
