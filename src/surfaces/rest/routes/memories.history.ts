import { z } from 'zod';
import { MEMORY_STATES, type MemoryVersion } from '../../../core/memories/memory.js';
import { principalOf } from '../../auth-hook.js';
import type { RestApp, RestDeps } from '../types.js';
import { errorResponses, IdParams } from '../views.js';

const VersionView = z
  .object({
    version: z.number().int().describe('1 for the memory as created, then one more per change.'),
    action: z.enum(['create', 'update', 'delete', 'baseline']).describe('baseline: the memory as it stood when Cairn began keeping history.'),
    content: z.string(),
    metadata: z.record(z.string(), z.unknown()),
    state: z.enum(MEMORY_STATES),
    at: z.string(),
    userId: z.string().nullable(),
    app: z.object({ id: z.string(), name: z.string() }).nullable(),
    credential: z.object({ kind: z.string(), id: z.string().nullable() }).nullable(),
    requestId: z.string().nullable(),
  })
  .meta({ id: 'MemoryVersion' });

function toVersionView(v: MemoryVersion): z.infer<typeof VersionView> {
  return { ...v, metadata: v.metadata, at: new Date(v.at).toISOString() };
}

/**
 * GET /v1/memories/{id}/history: every version of the memory, newest first, with who changed it, when and
 * through which app. Deleted memories keep their history; another workspace's id is a 404.
 */
export function memoriesHistory(app: RestApp, { memories }: Pick<RestDeps, 'memories'>): void {
  app.get(
    '/v1/memories/:id/history',
    { schema: { tags: ['memories'], summary: 'A memory’s versions', params: IdParams, response: { 200: z.object({ versions: z.array(VersionView) }), ...errorResponses } } },
    async (req) => ({ versions: (await memories.history(principalOf(req), req.params.id)).map(toVersionView) }),
  );
}
