import { z } from 'zod';
import type { ClientView } from '../../oauth/clients.js';
import type { GrantRecord } from '../../oauth/grants.js';
import { MEMORY_SCOPES } from '../../oauth/scopes.js';

/** Wire shapes of connected apps (OAuth grants) and client-credentials clients. Times are ISO-8601. */
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export const ConnectionView = z
  .object({
    id: z.string().describe('The grant id; access tokens issued under it carry it as cairn_gid.'),
    client: z.object({ id: z.string(), name: z.string() }),
    redirectHosts: z
      .array(z.string())
      .describe(
        'The distinct hosts (with port, e.g. `127.0.0.1:33418`, `claude.ai`) of the redirect URIs the client registered; a private-use scheme without a host appears as its scheme (`com.example.app:`). Empty when the client metadata is not stored (a client-ID-metadata-document client, or a client since deleted).',
      ),
    workspaceId: z.string(),
    appId: z.string().describe('The app its writes are recorded under.'),
    scopes: z.array(z.enum(MEMORY_SCOPES)),
    status: z.enum(['active', 'revoked']),
    createdAt: z.string(),
    lastUsedAt: z.string().nullable().describe('When it last obtained an access token (updated at most once a minute).'),
    revokedAt: z.string().nullable(),
  })
  .meta({ id: 'Connection' });

export function toConnectionView(g: GrantRecord, redirectHosts: readonly string[]): z.infer<typeof ConnectionView> {
  return {
    id: g.id,
    client: { id: g.clientId, name: g.clientName },
    redirectHosts: [...redirectHosts],
    workspaceId: g.workspaceId,
    appId: g.appId,
    scopes: [...g.scopes],
    status: g.revokedAt === null ? 'active' : 'revoked',
    createdAt: new Date(g.createdAt).toISOString(),
    lastUsedAt: iso(g.lastUsedAt),
    revokedAt: iso(g.revokedAt),
  };
}

export const OAuthClientView = z
  .object({
    id: z.string().describe('The client_id.'),
    name: z.string(),
    scopes: z.array(z.enum(MEMORY_SCOPES)),
    workspaceId: z.string(),
    appId: z.string(),
    createdAt: z.string(),
    secretRotatedAt: z.string().nullable(),
    lastUsedAt: z.string().nullable().describe('When it last obtained an access token (updated at most once a minute).'),
  })
  .meta({ id: 'OAuthClient' });

export function toOAuthClientView(c: ClientView): z.infer<typeof OAuthClientView> {
  return {
    id: c.id,
    name: c.name,
    scopes: [...c.scopes],
    workspaceId: c.workspaceId,
    appId: c.appId,
    createdAt: new Date(c.createdAt).toISOString(),
    secretRotatedAt: iso(c.secretRotatedAt),
    lastUsedAt: iso(c.lastUsedAt),
  };
}
