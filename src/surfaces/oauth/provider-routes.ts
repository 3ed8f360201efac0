import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SigningKeyStore } from '../../oauth/signing-keys.js';
import type { AuthorizationServer } from '../../oauth/server.js';
import { OAUTH_COOKIES, OAUTH_ROUTES } from '../../oauth/provider.js';

export interface ProviderRouteOptions {
  readonly server: AuthorizationServer;
  readonly keys: SigningKeyStore;
  readonly publicUrl: string;
  readonly rateLimits: RateLimits;
}

export interface RateLimits {
  /** Dynamic client registrations per IP address (the MCP SDK's own server allows 20 an hour). */
  readonly register: { readonly max: number; readonly windowMs: number };
  /** Token requests per IP address. */
  readonly token: { readonly max: number; readonly windowMs: number };
  /**
   * Token requests per client that authenticates with HTTP Basic (a confidential client's secret cannot be
   * guessed from many addresses at once). Public clients have no secret; their codes are single-use and
   * PKCE-bound, and the per-IP limit covers them.
   */
  readonly tokenPerClient: { readonly max: number; readonly windowMs: number };
}

export const DEFAULT_RATE_LIMITS: RateLimits = {
  register: { max: 20, windowMs: 3600_000 },
  token: { max: 300, windowMs: 60_000 },
  tokenPerClient: { max: 60, windowMs: 60_000 },
};

/**
 * The routes oidc-provider answers, handed over raw: the context has a catch-all body parser that reads
 * nothing, so the provider parses each body itself. `/authorize`, `/token` and `/register` sit at the
 * origin, where 2025-03-26-era clients look for them when there is no metadata.
 */
export function registerProviderRoutes(app: FastifyInstance, options: ProviderRouteOptions): void {
  const { server, keys } = options;
  const publicUrl = new URL(options.publicUrl);
  const forward = (opts: { fresh?: boolean; cors?: boolean } = {}) =>
    async function forwardToProvider(request: FastifyRequest, reply: FastifyReply): Promise<void> {
      await server.provider(); // builds or refreshes it before the reply is taken over (errors still get a page)
      prepare(request, publicUrl, opts.fresh === true);
      if (opts.cors) reply.raw.setHeader('access-control-allow-origin', '*');
      reply.raw.setHeader('cache-control', 'no-store');
      reply.hijack();
      await server.handle(request.raw, reply.raw);
    };
  const noHead = { exposeHeadRoute: false };

  // Authorization requests and their resumption after consent. `fresh`: the provider's own browser session
  // is not carried from one authorization to the next, so every one goes through Cairn's login check and
  // consent page, and an earlier person's session in this browser can never answer for the next one.
  app.get(OAUTH_ROUTES.authorization, noHead, forward({ fresh: true }));
  app.get(`${OAUTH_ROUTES.authorization}/:uid`, noHead, forward({ fresh: true }));

  const perClient = app.createRateLimit({ ...limit(options.rateLimits.tokenPerClient), keyGenerator: (request) => `token-client:${basicClientId(request) ?? ''}` });
  const forwardToken = forward();
  app.post(OAUTH_ROUTES.token, { config: { rateLimit: limit(options.rateLimits.token) } }, async (request, reply) => {
    if (basicClientId(request) !== undefined) {
      // `isAllowed` means "on the allow list"; the verdict is `isExceeded`.
      const verdict = await perClient(request);
      if (!verdict.isAllowed && verdict.isExceeded) {
        reply.header('retry-after', String(verdict.ttlInSeconds));
        throw Object.assign(new Error(`Too many token requests for this client; retry in ${verdict.ttlInSeconds} s.`), { statusCode: 429, oauthError: 'temporarily_unavailable' });
      }
    }
    return forwardToken(request, reply);
  });
  app.options(OAUTH_ROUTES.token, forward());
  app.post(OAUTH_ROUTES.revocation, forward());
  app.options(OAUTH_ROUTES.revocation, forward());
  app.post(OAUTH_ROUTES.introspection, forward());
  app.options(OAUTH_ROUTES.introspection, forward());

  // Registration is unauthenticated (RFC 7591 open registration), so any origin may call it: browser-based
  // clients such as the MCP Inspector register from their own page.
  app.post(OAUTH_ROUTES.registration, { config: { rateLimit: limit(options.rateLimits.register) } }, forward({ cors: true }));
  app.get(`${OAUTH_ROUTES.registration}/:clientId`, noHead, forward({ cors: true }));
  app.options(OAUTH_ROUTES.registration, async (_request, reply) => {
    return reply
      .code(204)
      .header('access-control-allow-origin', '*')
      .header('access-control-allow-methods', 'POST')
      .header('access-control-allow-headers', 'content-type, authorization')
      .header('access-control-max-age', '3600')
      .send();
  });

  // RFC 8414 metadata and its OpenID Connect twin: one document, the provider's, with open CORS.
  for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
    app.get(path, noHead, forward());
    app.options(path, forward());
  }

  // Every key that may have signed a live token (not only the provider's current one), as the resource
  // server verifies against.
  app.get(OAUTH_ROUTES.jwks, noHead, async (_request, reply) => {
    await keys.current(); // the key about to sign is published before its first token
    const jwks = await keys.publicJwks();
    return reply
      .header('content-type', 'application/jwk-set+json; charset=utf-8')
      .header('cache-control', 'public, max-age=60')
      .header('access-control-allow-origin', '*')
      .send(JSON.stringify(jwks));
  });
}

/** The client id of an `Authorization: Basic` header (RFC 6749 §2.3.1: form-urlencoded id), if there is one. */
function basicClientId(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string' || !/^basic /i.test(header)) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  try {
    return decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

function limit({ max, windowMs }: { max: number; windowMs: number }) {
  return { max, timeWindow: windowMs };
}

/**
 * Koa, inside oidc-provider, builds every URL it emits (endpoints in metadata, redirects to the consent page)
 * from the request: make that the public URL whatever Host or X-Forwarded-* header arrived, so nothing a
 * client sends can change an issued URL. The client address is the one Fastify resolved (CAIRN_TRUST_PROXY).
 */
function prepare(request: FastifyRequest, publicUrl: URL, fresh: boolean): void {
  const headers = request.raw.headers;
  headers['x-forwarded-proto'] = publicUrl.protocol.slice(0, -1);
  headers['x-forwarded-host'] = publicUrl.host;
  headers['x-forwarded-for'] = request.ip;
  if (fresh && typeof headers.cookie === 'string') headers.cookie = withoutCookie(headers.cookie, OAUTH_COOKIES.session);
}

/** The Cookie header without `name` and its signature cookies (`name.sig`, `name.legacy.sig`). */
export function withoutCookie(header: string, name: string): string {
  return header
    .split(';')
    .map((part) => part.trim())
    .filter((part) => {
      const key = part.split('=', 1)[0]!;
      return key !== name && !key.startsWith(`${name}.`);
    })
    .join('; ');
}
