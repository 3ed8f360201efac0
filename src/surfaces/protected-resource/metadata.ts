import type { Scope } from '../../core/scopes.js';

/**
 * The scopes an OAuth client may hold on Cairn's one protected resource: the three memory scopes. `admin` is
 * never granted through OAuth, and `offline_access` is no resource requirement (it is advertised in the
 * authorization server's metadata only). The same list is `scopes_supported` here and the `scope` of every
 * 401 challenge, so a client that follows either asks for the same thing.
 */
export const RESOURCE_SCOPES: readonly Scope[] = ['memories:read', 'memories:write', 'memories:delete'];

/** The canonical URI of the MCP server: the one audience Cairn's access tokens are issued for. */
export function resourceUri(publicUrl: string): string {
  return `${publicUrl}/mcp`;
}

/** The path-aware well-known URL (RFC 9728 §3.1) of the `/mcp` resource; the one every challenge points at. */
export function resourceMetadataUrl(publicUrl: string): string {
  return `${publicUrl}/.well-known/oauth-protected-resource/mcp`;
}

/** RFC 9728 protected-resource metadata for `/mcp`. */
export interface ProtectedResourceMetadata {
  readonly resource: string;
  readonly authorization_servers: readonly string[];
  readonly scopes_supported: readonly string[];
  readonly bearer_methods_supported: readonly string[];
  readonly resource_name: string;
  readonly resource_documentation: string;
}

/**
 * The document: `resource` is the audience tokens must carry, and `authorization_servers` names exactly one
 * issuer, the public URL byte for byte as the authorization server's own metadata spells it. Tokens are
 * accepted in the Authorization header only, never in a body or the URL.
 */
export function protectedResourceMetadata(publicUrl: string): ProtectedResourceMetadata {
  return {
    resource: resourceUri(publicUrl),
    authorization_servers: [publicUrl],
    scopes_supported: [...RESOURCE_SCOPES],
    bearer_methods_supported: ['header'],
    resource_name: 'Cairn memory',
    resource_documentation: `${publicUrl}/api/v1/openapi.json`,
  };
}
