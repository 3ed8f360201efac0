import { z } from 'zod';
import { MAX_BATCH, MAX_CONTENT_CHARS } from '../../../core/memories/memory.js';
import { principalOf } from '../../auth-hook.js';
import type { RestApp, RestDeps } from '../types.js';
import { errorResponses, MemoryView, toMemoryView } from '../views.js';

const NewMemory = z.object({
  content: z.string().min(1).max(MAX_CONTENT_CHARS),
  metadata: z.record(z.string(), z.unknown()).optional(),
});

/** One memory (`content`, `metadata?`) or a batch (`memories`), never both; a flat object so errors name the field. */
export const Body = z
  .object({
    content: z.string().min(1).max(MAX_CONTENT_CHARS).optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
    memories: z.array(NewMemory).min(1).max(MAX_BATCH).optional(),
  })
  .refine((b) => (b.content === undefined) !== (b.memories === undefined), { message: 'give either content or memories (a batch)', path: ['content'] })
  .refine((b) => b.memories === undefined || b.metadata === undefined, { message: 'put metadata on each item of a batch', path: ['metadata'] });
export type Body = z.infer<typeof Body>;

const Single = z.object({ memory: MemoryView, created: z.boolean().describe('false when an identical memory already existed and was returned instead') });
const Batch = z.object({ results: z.array(Single) });

/** POST /v1/memories: one memory (`{content, metadata?}`) or a batch (`{memories: [...]}`). A duplicate returns the existing memory. */
export function memoriesCreate(app: RestApp, { memories }: Pick<RestDeps, 'memories'>): void {
  app.post(
    '/v1/memories',
    { schema: { tags: ['memories'], summary: 'Add one memory or a batch', body: Body, response: { 200: z.union([Single, Batch]), 201: z.union([Single, Batch]), ...errorResponses } } },
    async (req, reply) => {
      const principal = principalOf(req);
      if (req.body.memories) {
        const outcomes = await memories.addMany(principal, req.body.memories);
        const results = outcomes.map((o) => ({ memory: toMemoryView(o.memory), created: o.created }));
        return reply.code(outcomes.some((o) => o.created) ? 201 : 200).send({ results });
      }
      const outcome = await memories.add(principal, { content: req.body.content ?? '', ...(req.body.metadata ? { metadata: req.body.metadata } : {}) });
      return reply.code(outcome.created ? 201 : 200).send({ memory: toMemoryView(outcome.memory), created: outcome.created });
    },
  );
}
