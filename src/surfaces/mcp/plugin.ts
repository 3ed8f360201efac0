import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import {
  createMcpHandler,
  isLegacyRequest,
  McpServer,
  validateHostHeader,
  validateOriginHeader,
  WebStandardStreamableHTTPServerTransport,
  type AuthInfo,
} from '@modelcontextprotocol/server';
import { hasScope } from '../../core/scopes.js';
import type { Principal } from '../../core/principal.js';
import { AppError, insufficientScope } from '../../errors/app-error.js';
import { toJsonRpcHttpError } from '../../errors/to-jsonrpc.js';
import { AuthenticationError, bearerChallenge, principalOf, scopeChallenge, type ResourceChallenge } from '../auth-hook.js';
import type { ToolContext, ToolDeps } from './tool-kit.js';
import { TOOL_SCOPES, TOOLS } from './tools/index.js';

export interface McpDeps extends ToolDeps {
  /** This surface's authenticator(s), declared where the surface is registered (app.ts). */
  readonly authenticate: onRequestHookHandler;
  /** What this surface's 401s and 403s point OAuth clients at (`resourceChallenge(publicUrl)`). */
  readonly challenge: ResourceChallenge;
  /** Host header values accepted (DNS-rebinding protection). */
  readonly allowedHosts: readonly string[];
  /** Origin header values accepted when present. */
  readonly allowedOrigins: readonly string[];
  readonly version: string;
  readonly bodyLimit: number;
}

const INSTRUCTIONS =
  'Cairn is the user\'s long-term memory, shared across their AI tools. Search it (search_memory) before answering questions that may depend on earlier conversations, and store new durable facts and preferences with add_memories.';

/**
 * The MCP surface at /mcp: Streamable HTTP via the official SDK (v2), serving 2026-07-28 clients and
 * 2025-era clients (stateless) on one endpoint. It owns Host/Origin validation, its authenticator, and
 * JSON-RPC-shaped HTTP errors. A fresh McpServer is built per request around the verified principal,
 * so no state (and no cached result) is ever shared between principals.
 */
export const mcpSurface: FastifyPluginAsync<McpDeps> = async (app, deps) => {
  const handler = createMcpHandler((ctx) => buildServer(deps, ctx.authInfo), {
    legacy: 'reject',
    maxRequestBodySize: deps.bodyLimit,
    onerror: (err) => app.log.debug({ err }, 'mcp request rejected'),
  });
  app.addHook('onClose', async () => handler.close());
  app.setErrorHandler(mcpErrorHandler(deps.challenge));
  app.addHook('onRequest', hostAndOriginGuard(deps.allowedHosts, deps.allowedOrigins));
  app.addHook('onRequest', deps.authenticate);

  app.route({
    method: ['GET', 'POST', 'DELETE'],
    url: '/',
    // Fastify's automatic HEAD twin of GET cannot measure the web Response this handler sends (it was a 500),
    // and MCP defines no HEAD: leave HEAD /mcp unrouted.
    exposeHeadRoute: false,
    handler: async (request, reply) => {
      const principal = principalOf(request);
      checkToolScopes(principal, request.body);
      const failure: { unavailable?: AppError } = {};
      const authInfo: AuthInfo = {
        // The credential id, never the secret: the SDK may put this in logs or errors.
        token: principal.credential.id,
        clientId: principal.appId,
        scopes: [...principal.scopes],
        extra: { principal, failure },
      };
      const abort = new AbortController();
      reply.raw.on('close', () => {
        if (!reply.raw.writableFinished) abort.abort();
      });
      const webRequest = toWebRequest(request, abort.signal);
      const options = { authInfo, parsedBody: request.body };
      const response = (await isLegacyRequest(webRequest, request.body, { maxRequestBodySize: deps.bodyLimit }))
        ? await serveLegacy(deps, webRequest, options)
        : await handler.fetch(webRequest, options);
      if (!isToolCall(request.body)) return reply.send(response);
      // A tool call's answer is complete and small: read it, so that a store outage inside the tool can
      // become a 503 like on every other data route instead of a 200 carrying an error.
      const text = await response.text();
      if (failure.unavailable) throw failure.unavailable;
      reply.code(response.status);
      response.headers.forEach((value, key) => void reply.header(key, value));
      return reply.send(text);
    },
  });
};

/**
 * 2025-era (stateless) traffic, routed here with the SDK's own `isLegacyRequest` as its docs advise for a
 * hand-wired legacy leg: a fresh server per request, as the SDK's stateless fallback does, but answering
 * with one JSON body (`enableJsonResponse`, which the Streamable HTTP transport allows) instead of a
 * one-event SSE stream. Every legacy answer here is a single response, so the stream bought nothing and
 * cost about a millisecond per call (the stream's set-up and teardown; bench/search-latency.ts).
 */
async function serveLegacy(deps: McpDeps, request: Request, options: { authInfo: AuthInfo; parsedBody: unknown }): Promise<Response> {
  if (request.method !== 'POST') {
    // Stateless serving has no session to stream (GET) or end (DELETE); the same answer as the SDK's fallback.
    return Response.json({ jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed.' }, id: null }, { status: 405, headers: { allow: 'POST' } });
  }
  const server = buildServer(deps, options.authInfo);
  const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true, maxRequestBodySize: deps.bodyLimit });
  await server.connect(transport);
  try {
    return await transport.handleRequest(request, options);
  } finally {
    void transport.close().catch(() => undefined);
    void server.close().catch(() => undefined);
  }
}

function buildServer(deps: McpDeps, authInfo: AuthInfo | undefined): McpServer {
  // The tool set is fixed for the life of the process, so Cairn never sends tools/list_changed. Saying so
  // (the SDK would otherwise advertise listChanged: true) keeps 2026-07-28 clients from holding a
  // subscriptions/listen stream open for notifications that never come.
  const server = new McpServer({ name: 'cairn', version: deps.version }, { capabilities: { tools: { listChanged: false } }, instructions: INSTRUCTIONS });
  const extra = authInfo?.extra as { principal?: Principal; failure?: { unavailable?: AppError } } | undefined;
  // Every request reaches the handler through the authenticator, which always passes a principal.
  if (!extra?.principal) throw new Error('MCP server requested without an authenticated principal');
  const failure = extra.failure ?? {};
  const ctx: ToolContext = { principal: extra.principal, onUnavailable: (err) => void (failure.unavailable = err) };
  for (const tool of TOOLS) tool.register(server, deps, ctx);
  return server;
}

/** 403 with the full set of scopes a `tools/call` needs, before the tool runs (RFC 6750 §3.1 shape). */
function checkToolScopes(principal: Principal, body: unknown): void {
  for (const message of Array.isArray(body) ? body : [body]) {
    if (!isToolCall(message)) continue;
    const name = (message as { params?: { name?: unknown } }).params?.name;
    const needed = typeof name === 'string' ? TOOL_SCOPES[name] : undefined;
    if (needed && needed.some((s) => !hasScope(principal.scopes, s))) throw insufficientScope(needed);
  }
}

function isToolCall(body: unknown): boolean {
  if (Array.isArray(body)) return body.some(isToolCall);
  return typeof body === 'object' && body !== null && (body as { method?: unknown }).method === 'tools/call';
}

function hostAndOriginGuard(allowedHosts: readonly string[], allowedOrigins: readonly string[]) {
  const hostnames = [...new Set(allowedHosts.map((h) => h.replace(/:\d+$/, '')))];
  const originHosts = [...new Set(allowedOrigins.map(originHostname))];
  return async function guard(request: FastifyRequest): Promise<void> {
    const host = validateHostHeader(request.headers.host, hostnames);
    if (!host.ok) throw new AppError('FORBIDDEN_ORIGIN', host.message);
    const origin = validateOriginHeader(request.headers.origin, originHosts);
    if (!origin.ok) throw new AppError('FORBIDDEN_ORIGIN', origin.message);
    // The SDK compares hostnames only; an allowed host on another scheme or port is still a different origin.
    const presented = request.headers.origin;
    if (presented && !allowedOrigins.includes(presented)) throw new AppError('FORBIDDEN_ORIGIN', `Invalid Origin: ${presented}`);
  };
}

function originHostname(origin: string): string {
  try {
    // URL keeps IPv6 brackets ("[::1]"), which is the form the SDK's allow-lists use too.
    return new URL(origin).hostname;
  } catch {
    return origin;
  }
}

function mcpErrorHandler(challenge: ResourceChallenge) {
  return function sendMcpError(err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
    const id = requestIdOf(request.body);
    const { status, body, log } = toJsonRpcHttpError(err, request.id, id);
    if (log !== undefined) request.log.error({ err: log }, 'mcp request failed');
    if (err instanceof AuthenticationError) reply.header('www-authenticate', bearerChallenge(err, challenge));
    if (err instanceof AppError && err.code === 'INSUFFICIENT_SCOPE') reply.header('www-authenticate', scopeChallenge(err, challenge));
    if (status === 503) reply.header('retry-after', '5');
    return reply.code(status).header('cache-control', 'no-store').send(body);
  };
}

function requestIdOf(body: unknown): string | number | null {
  const id = (body as { id?: unknown } | null)?.id;
  return typeof id === 'string' || typeof id === 'number' ? id : null;
}

function toWebRequest(request: FastifyRequest, signal: AbortSignal): Request {
  const headers = new Headers();
  for (const [key, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) headers.append(key, v);
    else headers.set(key, value);
  }
  return new Request(`http://${request.headers.host ?? 'localhost'}${request.url}`, { method: request.method, headers, signal });
}
