import { z } from 'zod';
import { SCOPES } from '../../../core/scopes.js';
import { principalOf } from '../../auth-hook.js';
import type { RestApp, RestDeps } from '../types.js';
import { errorResponses, IsoTime, KeyView, toKeyView } from '../views.js';

export const Body = z.object({
  name: z.string().min(1).max(64),
  scopes: z.array(z.enum(SCOPES)).min(1),
  expiresAt: IsoTime.optional().describe('When the key stops working; omit for no expiry.'),
});

const Created = z.object({ key: z.string().describe('The API key. It is shown only in this response.'), apiKey: KeyView });

/** POST /v1/keys (needs `admin`; the new key's scopes must be within the caller's). */
export function keysCreate(app: RestApp, { apiKeys }: Pick<RestDeps, 'apiKeys'>): void {
  app.post('/v1/keys', { schema: { tags: ['keys'], summary: 'Create an API key', body: Body, response: { 201: Created, ...errorResponses } } }, async (req, reply) => {
    const { key, view } = await apiKeys.createFor(principalOf(req), { name: req.body.name, scopes: req.body.scopes, expiresAt: req.body.expiresAt ?? null });
    return reply.code(201).header('cache-control', 'no-store').send({ key, apiKey: toKeyView(view) });
  });
}
