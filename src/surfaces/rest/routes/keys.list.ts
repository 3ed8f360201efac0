import { z } from 'zod';
import { principalOf } from '../../auth-hook.js';
import type { RestApp, RestDeps } from '../types.js';
import { errorResponses, KeyView, toKeyView } from '../views.js';

/** GET /v1/keys: the caller's keys in the caller's workspace (needs `admin`). */
export function keysList(app: RestApp, { apiKeys }: Pick<RestDeps, 'apiKeys'>): void {
  app.get('/v1/keys', { schema: { tags: ['keys'], summary: 'List your API keys', response: { 200: z.object({ keys: z.array(KeyView) }), ...errorResponses } } }, async (req) => {
    return { keys: (await apiKeys.listFor(principalOf(req))).map(toKeyView) };
  });
}
