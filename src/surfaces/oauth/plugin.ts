import formbody from '@fastify/formbody';
import rateLimit from '@fastify/rate-limit';
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Configuration, ErrorOut, KoaContextWithOIDC } from 'oidc-provider';
import type { Logger } from 'pino';
import type { SessionReader } from '../../auth/sessions/ports.js';
import type { AppStore, Role, Workspace } from '../../core/users/user.js';
import { isAppError } from '../../errors/app-error.js';
import type { OAuthServices } from '../../oauth/oauth-services.js';
import { AuthorizationServer } from '../../oauth/server.js';
import { registerInteractionRoutes, InteractionError } from './interaction.js';
import { errorPage, PAGE_HEADERS } from './pages.js';
import { DEFAULT_RATE_LIMITS, registerProviderRoutes, type RateLimits } from './provider-routes.js';

/** What the authorization server surface needs, passed in as plugin options (app.ts). */
export interface OAuthSurfaceOptions {
  /** The issuer: `config.http.publicUrl` (origin, no trailing slash). */
  readonly publicUrl: string;
  readonly oauth: OAuthServices;
  readonly apps: AppStore;
  /** The browser session (src/accounts). Without it, consent pages answer 503 and say why. */
  readonly sessions: SessionReader | undefined;
  readonly log: Logger;
  /** Client ID Metadata Document support (src/oauth/cimd.ts), merged into the provider configuration. */
  readonly cimd?: Configuration;
  readonly rateLimits?: RateLimits;
  /** How often a signing-key rotation elsewhere is looked for (default 30 s). */
  readonly keyCheckMs?: number;
  /** Access-token lifetime (CAIRN_OAUTH_ACCESS_TOKEN_TTL_SECONDS); default 300. */
  readonly accessTokenTtlSeconds?: number;
}

/**
 * Cairn's OAuth 2.1 authorization server at the origin: oidc-provider's endpoints, the consent pages and the
 * signing-key JWKS. Errors never leave as a stack trace: OAuth endpoints answer RFC error JSON with
 * `Cache-Control: no-store`, browser pages answer Cairn's small error page, an unreachable database 503.
 */
export const oauthSurface: FastifyPluginAsync<OAuthSurfaceOptions> = async (root, options) => {
  const { oauth } = options;
  const server = new AuthorizationServer({
    publicUrl: options.publicUrl,
    keys: oauth.keys,
    store: oauth.store,
    grants: oauth.grants,
    clients: oauth.clients,
    users: oauth.users,
    cookieKeys: oauth.cookieKeys,
    renderError: renderProviderError(options.log),
    clock: oauth.clock,
    log: options.log,
    ...(options.cimd ? { extra: options.cimd } : {}),
    ...(options.keyCheckMs !== undefined ? { keyCheckMs: options.keyCheckMs } : {}),
    ...(options.accessTokenTtlSeconds !== undefined ? { accessTokenTtlSeconds: options.accessTokenTtlSeconds } : {}),
  });

  // oidc-provider's endpoints: the provider reads raw bodies itself, so nothing here parses them.
  await root.register(async (app) => {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
    app.setErrorHandler(sendOAuthError);
    await app.register(rateLimit, {
      global: false,
      errorResponseBuilder: (_request, context) => Object.assign(new Error(`Too many requests; retry in ${context.after}.`), { statusCode: context.statusCode, oauthError: 'temporarily_unavailable' }),
    });
    registerProviderRoutes(app, { server, keys: oauth.keys, publicUrl: options.publicUrl, rateLimits: options.rateLimits ?? DEFAULT_RATE_LIMITS });
  });

  // The consent pages (HTML forms).
  await root.register(async (app) => {
    await app.register(formbody, { bodyLimit: 16 * 1024 });
    app.setErrorHandler(sendPageError);
    registerInteractionRoutes(app, {
      server,
      publicUrl: options.publicUrl,
      sessions: options.sessions,
      workspacesOf: (userId: string): Promise<(Workspace & { role: Role })[]> => oauth.users.workspacesOf(userId),
      apps: options.apps,
      grants: oauth.grants,
      clock: oauth.clock,
      csrfKey: oauth.consentCsrfKey,
    });
  });
};

interface OAuthishError {
  readonly statusCode?: number;
  readonly status?: number;
  readonly error?: string;
  readonly oauthError?: string;
  readonly error_description?: string;
  readonly expose?: boolean;
  readonly message?: string;
}

/** What a failure is on the wire: status, RFC error code and a description safe to show. */
function describe(err: unknown): { status: number; error: string; description: string } {
  if (isAppError(err) && err.code === 'UNAVAILABLE') return { status: 503, error: 'temporarily_unavailable', description: 'The authorization server cannot reach its database; try again shortly.' };
  if (err instanceof InteractionError) return { status: err.status, error: err.error, description: err.message };
  const e = (err ?? {}) as OAuthishError;
  const status = e.statusCode ?? e.status ?? 500;
  if (e.oauthError) return { status, error: e.oauthError, description: e.message ?? '' };
  if (typeof e.error === 'string' && e.expose !== false && status < 500) return { status, error: e.error, description: e.error_description ?? '' };
  if (typeof e.error === 'string' && status === 503) return { status, error: e.error, description: e.error_description ?? '' };
  if (status === 400 || status === 413 || status === 415) return { status, error: 'invalid_request', description: e.message ?? 'The request is invalid.' };
  return { status: 500, error: 'server_error', description: 'Something went wrong; try again.' };
}

function sendOAuthError(err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const { status, error, description } = describe(err);
  logFailure(request, status, err);
  if (status === 503 || status === 429) reply.header('retry-after', status === 503 ? '5' : String(reply.getHeader('retry-after') ?? '60'));
  if (request.url.startsWith('/authorize')) return reply.code(status).headers(PAGE_HEADERS).send(errorPage('Cannot connect this app', error, description));
  return reply.code(status).header('cache-control', 'no-store').header('pragma', 'no-cache').send({ error, error_description: description });
}

function sendPageError(err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const { status, error, description } = describe(err);
  logFailure(request, status, err);
  if (status === 503) reply.header('retry-after', '5');
  const title = error === 'invalid_request' && /interaction|session/i.test(description) ? 'This sign-in request has expired' : 'Cannot connect this app';
  return reply.code(status).headers(PAGE_HEADERS).send(errorPage(title, error, description));
}

function logFailure(request: FastifyRequest, status: number, err: unknown): void {
  if (status >= 500) request.log.error({ err }, 'authorization server request failed');
}

/**
 * oidc-provider's error page, replaced: the RFC error code and description, escaped; no request data, no
 * stack. A database outage is a 503 here too.
 */
function renderProviderError(log: Logger) {
  return async (ctx: KoaContextWithOIDC, out: ErrorOut, error: Error): Promise<void> => {
    const unavailable = (error as OAuthishError).statusCode === 503 || (isAppError(error) && error.code === 'UNAVAILABLE');
    if (unavailable) ctx.status = 503;
    else if (ctx.status >= 500) log.error({ err: error }, 'authorization server error');
    for (const [name, value] of Object.entries(PAGE_HEADERS)) ctx.set(name, value);
    ctx.type = 'html';
    ctx.body = errorPage('Cannot connect this app', unavailable ? 'temporarily_unavailable' : out.error, out.error_description);
  };
}
