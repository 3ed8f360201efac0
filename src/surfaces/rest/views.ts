import { z } from 'zod';
import type { ApiKeyView } from '../../auth/api-keys/api-key-service.js';
import { MEMORY_STATES, type Memory } from '../../core/memories/memory.js';
import { SCOPES } from '../../core/scopes.js';

/** Wire shapes of the REST surface. Times are ISO-8601 strings on the wire, milliseconds inside. */
export const MemoryView = z
  .object({
    id: z.string(),
    content: z.string(),
    metadata: z.record(z.string(), z.unknown()),
    state: z.enum(MEMORY_STATES),
    app: z.object({ id: z.string(), name: z.string() }),
    authorUserId: z.string(),
    workspaceId: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Memory' });
export type MemoryView = z.infer<typeof MemoryView>;

export function toMemoryView(m: Memory): MemoryView {
  return {
    id: m.id,
    content: m.content,
    metadata: m.metadata,
    state: m.state,
    app: { id: m.appId, name: m.appName },
    authorUserId: m.authorUserId,
    workspaceId: m.workspaceId,
    createdAt: new Date(m.createdAt).toISOString(),
    updatedAt: new Date(m.updatedAt).toISOString(),
  };
}

export const KeyView = z
  .object({
    id: z.string(),
    name: z.string(),
    prefix: z.string().describe('The first characters of the key, for telling keys apart. The key itself is never shown again.'),
    scopes: z.array(z.enum(SCOPES)),
    workspaceId: z.string(),
    status: z.enum(['active', 'revoked', 'expired']),
    createdAt: z.string(),
    expiresAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
    lastUsedAt: z.string().nullable().describe('Updated in batches (every few seconds), not per request.'),
    usageCount: z.number().int(),
    rotatedTo: z.string().nullable(),
  })
  .meta({ id: 'ApiKey' });

export function toKeyView(k: ApiKeyView): z.infer<typeof KeyView> {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    id: k.id,
    name: k.name,
    prefix: k.prefix,
    scopes: [...k.scopes],
    workspaceId: k.workspaceId,
    status: k.status,
    createdAt: new Date(k.createdAt).toISOString(),
    expiresAt: iso(k.expiresAt),
    revokedAt: iso(k.revokedAt),
    lastUsedAt: iso(k.lastUsedAt),
    usageCount: k.usageCount,
    rotatedTo: k.rotatedTo,
  };
}

export const ErrorView = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      requestId: z.string(),
      details: z.record(z.string(), z.unknown()).optional(),
    }),
  })
  .meta({ id: 'Error' });

export const IdParams = z.object({ id: z.string().min(1).max(64) });

/** ISO-8601 date-time in a query string or body, to milliseconds. */
export const IsoTime = z.iso.datetime({ offset: true }).transform((s) => Date.parse(s));

export const MemoryFiltersInput = z.object({
  app: z.string().max(64).optional().describe('Only memories written by this app id.'),
  state: z.enum(MEMORY_STATES).optional().describe('Default: active.'),
  since: IsoTime.optional().describe('Created at or after this time.'),
  until: IsoTime.optional().describe('Created before this time.'),
});

/** Standard error responses for the OpenAPI document. */
export const errorResponses = {
  400: ErrorView,
  401: ErrorView,
  403: ErrorView,
  404: ErrorView,
  409: ErrorView,
  413: ErrorView,
  503: ErrorView,
} as const;
