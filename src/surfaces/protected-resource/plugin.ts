import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { protectedResourceMetadata } from './metadata.js';

export interface ProtectedResourceDeps {
  /** `config.http.publicUrl`: the issuer and the origin of the `/mcp` resource. */
  readonly publicUrl: string;
}

/** Where clients look (RFC 9728 §3.1 and the MCP discovery order): the path-aware form first, then the root form. */
export const PROTECTED_RESOURCE_PATHS = ['/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-protected-resource'] as const;

/**
 * Protected-resource metadata (RFC 9728) for `/mcp`, the same JSON at both well-known locations: clients
 * differ in which one they try, and the 401 challenge names the path-aware one. Public (no authenticator) and
 * readable from any origin, because browser-based clients (MCP Inspector) fetch it cross-origin before they
 * hold any credential; it holds nothing secret. Registered at the root, without a prefix.
 */
export const protectedResourceSurface: FastifyPluginAsync<ProtectedResourceDeps> = async (app, { publicUrl }) => {
  const body = JSON.stringify(protectedResourceMetadata(publicUrl));
  const cors = (reply: FastifyReply) => reply.header('access-control-allow-origin', '*');
  for (const url of PROTECTED_RESOURCE_PATHS) {
    app.get(url, async (_request, reply) =>
      cors(reply).header('cache-control', 'public, max-age=300').type('application/json; charset=utf-8').send(body),
    );
    // A browser client that sends MCP-Protocol-Version on the discovery fetch makes it a preflighted request.
    app.options(url, async (_request, reply) =>
      cors(reply)
        .header('access-control-allow-methods', 'GET, OPTIONS')
        .header('access-control-allow-headers', 'mcp-protocol-version')
        .header('access-control-max-age', '86400')
        .code(204)
        .send(),
    );
  }
};
