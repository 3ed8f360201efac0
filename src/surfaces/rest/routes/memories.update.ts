import { z } from 'zod';
import { MAX_CONTENT_CHARS, MEMORY_STATES } from '../../../core/memories/memory.js';
import { principalOf } from '../../auth-hook.js';
import type { RestApp, RestDeps } from '../types.js';
import { errorResponses, IdParams, MemoryView, toMemoryView } from '../views.js';

export const Body = z
  .object({
    content: z.string().min(1).max(MAX_CONTENT_CHARS).optional(),
    metadata: z.record(z.string(), z.unknown()).optional().describe('Replaces the whole metadata object.'),
    state: z.enum(MEMORY_STATES).optional().describe('archived hides a memory from search; active restores it.'),
  })
  .refine((b) => b.content !== undefined || b.metadata !== undefined || b.state !== undefined, { message: 'give content, metadata or state' });

/** PATCH /v1/memories/{id}. Changing the content to text another memory already has is a 409 naming it. */
export function memoriesUpdate(app: RestApp, { memories }: Pick<RestDeps, 'memories'>): void {
  app.patch(
    '/v1/memories/:id',
    { schema: { tags: ['memories'], summary: 'Update a memory', params: IdParams, body: Body, response: { 200: z.object({ memory: MemoryView }), ...errorResponses } } },
    async (req) => {
      const b = req.body;
      const memory = await memories.update(principalOf(req), req.params.id, {
        ...(b.content !== undefined ? { content: b.content } : {}),
        ...(b.metadata !== undefined ? { metadata: b.metadata } : {}),
        ...(b.state !== undefined ? { state: b.state } : {}),
      });
      return { memory: toMemoryView(memory) };
    },
  );
}
