import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CairnAuth } from '../../accounts/auth.js';
import { CLIENT_IP_HEADER } from '../../accounts/policy.js';

/** Hop-by-hop and recomputed headers, never copied between the Fastify and web representations. */
const NOT_FORWARDED = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive', 'upgrade', CLIENT_IP_HEADER]);

/**
 * The incoming request's headers as web Headers for better-auth, plus the client address Fastify determined
 * (CAIRN_TRUST_PROXY decides whether X-Forwarded-For counts), which better-auth's per-IP limit uses.
 */
export function forwardedHeaders(request: FastifyRequest, only?: readonly string[]): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined || NOT_FORWARDED.has(name) || (only && !only.includes(name))) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  headers.set(CLIENT_IP_HEADER, request.ip);
  return headers;
}

/** Passes the request through to better-auth unchanged (the /auth/* routes). `body` is the raw bytes. */
export function proxyToAuth(auth: CairnAuth, request: FastifyRequest, publicUrl: string): Promise<Response> {
  const hasBody = request.method !== 'GET' && request.method !== 'HEAD' && Buffer.isBuffer(request.body);
  return auth.handler(
    new Request(new URL(request.url, publicUrl), {
      method: request.method,
      headers: forwardedHeaders(request),
      ...(hasBody ? { body: new Uint8Array(request.body as Buffer) } : {}),
    }),
  );
}

/** What a page's form post becomes for better-auth: a JSON call to one of its endpoints, as the same browser. */
const PAGE_HEADERS_FORWARDED = ['cookie', 'origin', 'referer', 'user-agent', 'sec-fetch-site', 'sec-fetch-mode', 'sec-fetch-dest'];

export interface AuthAnswer {
  readonly status: number;
  /** The JSON body (`{ code, message }` for errors), or undefined. */
  readonly body: Record<string, unknown> | undefined;
  readonly setCookies: string[];
  /** Seconds to wait after a 429, from either better-auth's header or Cairn's per-account limit. */
  readonly retryAfter: string | undefined;
}

/** Calls a better-auth endpoint (`/sign-in/email`) with a JSON body on behalf of a page's form post. */
export async function callAuth(auth: CairnAuth, request: FastifyRequest, publicUrl: string, path: string, json: Record<string, unknown>): Promise<AuthAnswer> {
  const headers = forwardedHeaders(request, PAGE_HEADERS_FORWARDED);
  headers.set('content-type', 'application/json');
  const response = await auth.handler(new Request(`${publicUrl}/auth${path}`, { method: 'POST', headers, body: JSON.stringify(json) }));
  const text = await response.text();
  let body: Record<string, unknown> | undefined;
  try {
    const parsed: unknown = text ? JSON.parse(text) : undefined;
    body = parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    body = undefined;
  }
  return { status: response.status, body, setCookies: response.headers.getSetCookie(), retryAfter: retryAfterOf(response.headers) };
}

/** Sends better-auth's web Response through Fastify, keeping every Set-Cookie header. */
export async function sendWebResponse(reply: FastifyReply, response: Response): Promise<FastifyReply> {
  reply.code(response.status);
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie' && !NOT_FORWARDED.has(name)) reply.header(name, value);
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) reply.header('set-cookie', cookies);
  // better-auth's limiter names its header X-Retry-After; HTTP clients look for Retry-After.
  const retryAfter = retryAfterOf(response.headers);
  if (response.status === 429 && retryAfter !== undefined) reply.header('retry-after', retryAfter);
  return reply.send(Buffer.from(await response.arrayBuffer()));
}

function retryAfterOf(headers: Headers): string | undefined {
  return headers.get('retry-after') ?? headers.get('x-retry-after') ?? undefined;
}
