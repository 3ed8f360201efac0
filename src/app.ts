import fastifySwagger from '@fastify/swagger';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type RouteOptions } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import type { Config } from './config/schema.js';
import { randomBase62 } from './core/ids.js';
import type { Services } from './services.js';
import { accountSurface } from './surfaces/account/plugin.js';
import { sessionAuthenticator } from './surfaces/dashboard/authenticate.js';
import { dashboardSurface } from './surfaces/dashboard/plugin.js';
import { healthSurface } from './surfaces/health/plugin.js';
import { accessTokenWay, apiKeyWay, oneOfAuthenticator, resourceChallenge } from './surfaces/auth-hook.js';
import { sendHttpError } from './surfaces/http-errors.js';
import { mcpSurface } from './surfaces/mcp/plugin.js';
import { oauthSurface } from './surfaces/oauth/plugin.js';
import { clientIdMetadataDocumentConfiguration } from './oauth/cimd.js';
import { protectedResourceSurface } from './surfaces/protected-resource/plugin.js';
import { restSurface } from './surfaces/rest/plugin.js';
import type { RouteDeps } from './surfaces/rest/types.js';
import { defaultWebDist } from './surfaces/web/dist-dir.js';
import { webApp } from './surfaces/web/plugin.js';
import { VERSION } from './version.js';
import { pendingMigrations } from './storage/migrate.js';
import { AppError } from './errors/app-error.js';

export interface AppDeps {
  readonly config: Config;
  readonly services: Services;
  readonly logger: Logger;
  /**
   * Sees every route as it is registered. Fastify has no public list of routes and an `onRoute` hook only
   * sees routes added after it, so it has to be attached here; tests use it to prove that the auth matrix
   * covers every route that exists.
   */
  readonly onRoute?: (route: RouteOptions) => void;
  /**
   * Extra trust anchors for fetching Client ID Metadata Documents. Only tests set it (their document server
   * has a self-signed certificate); production uses the system's roots.
   */
  readonly cimdTrustedCertificates?: readonly string[];
  /** The built dashboard (web/dist); tests pass a folder of their own. Default: web/dist of this package. */
  readonly webDist?: string;
}

/**
 * Builds the HTTP application: one Fastify instance, one plugin per surface, each with its own
 * authenticator and error format. It never listens (main.ts does), so tests use `inject()` and the
 * benchmark can add its baseline route beside the real ones.
 */
export async function buildApp({ config, services, logger, onRoute, cimdTrustedCertificates, webDist }: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: config.http.bodyLimit,
    trustProxy: config.http.trustProxy,
    genReqId: () => `req_${randomBase62(16)}`,
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
    return503OnClosing: true,
    routerOptions: { ignoreTrailingSlash: true },
  });
  if (onRoute) app.addHook('onRoute', onRoute);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(sendHttpError);
  // The dashboard app (web/dist): `/`, `/assets/*`, and index.html for browser navigations no route answers.
  const web = webApp(webDist ?? defaultWebDist());
  app.setNotFoundHandler(web.notFound);

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Cairn REST API', version: VERSION, description: 'Memories for AI agents. Authenticate with `Authorization: Bearer cairn_sk_…` (an API key) or `Authorization: Bearer <OAuth access token>`.' },
      servers: [{ url: `${config.http.publicUrl}/api` }],
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'A Cairn API key (cairn_sk_…), also accepted as X-API-Key, or an OAuth access token issued by this server for <public URL>/mcp.' } } },
      security: [{ apiKey: [] }],
    },
    transform: (input) => {
      // Only the REST surface is described; /mcp speaks JSON-RPC and health has no contract to publish.
      if (!input.url.startsWith('/api/v1/')) return { schema: { ...input.schema, hide: true }, url: input.url };
      return jsonSchemaTransform(input);
    },
    transformObject: jsonSchemaTransformObject,
  });

  await app.register(healthSurface, {
    checkReady: async () => {
      try {
        await services.storage.ping();
      } catch {
        throw new AppError('UNAVAILABLE', 'database unreachable');
      }
      const pending = await pendingMigrations(services.storage).catch(() => {
        throw new AppError('UNAVAILABLE', 'database unreachable');
      });
      if (pending.length > 0) throw new AppError('UNAVAILABLE', `pending migrations: ${pending.join(', ')}`);
    },
  });
  // Each surface declares its ways in here, where it is registered: API keys and OAuth access tokens, each
  // its own authenticator; the shape of the credential a request presents picks the one that verifies it.
  const authenticate = oneOfAuthenticator([apiKeyWay(services.verifier), accessTokenWay(services.accessTokens)]);
  // /api and /mcp are one protected resource: their 401s and 403s point at the same metadata.
  await app.register(protectedResourceSurface, { publicUrl: config.http.publicUrl });
  // What the REST route modules need; the dashboard registers the same modules behind its own authenticator.
  const routeDeps: RouteDeps = {
    memories: services.memories,
    transfer: services.transfer,
    importMaxBytes: config.http.importMaxBytes,
    apiKeys: services.apiKeys,
    users: services.users,
    oauthGrants: services.oauth.grants,
    oauthClients: services.oauth.clients,
    publicUrl: config.http.publicUrl,
  };
  // Origins a browser page of this server may come from (forms, /auth, the dashboard's CSRF rule).
  const trustedOrigins = [...new Set([config.http.publicUrl, ...config.http.allowedOrigins])];
  await app.register(restSurface, { prefix: '/api', authenticate, ...routeDeps });
  await app.register(mcpSurface, {
    prefix: '/mcp',
    memories: services.memories,
    authenticate,
    challenge: resourceChallenge(config.http.publicUrl),
    allowedHosts: config.http.allowedHosts,
    allowedOrigins: config.http.allowedOrigins,
    version: VERSION,
    bodyLimit: config.http.bodyLimit,
  });
  // Browser accounts (better-auth under /auth, and the login pages): their own authenticator, the session
  // cookie, which no other surface accepts.
  await app.register(accountSurface, {
    accounts: services.accounts,
    users: services.users,
    publicUrl: config.http.publicUrl,
    trustedOrigins,
    signup: config.accounts.signup,
  });
  // The dashboard's API: its own authenticator, the browser session (plus the CSRF rule), and no other.
  await app.register(dashboardSurface, {
    prefix: '/dashboard/api',
    authenticate: sessionAuthenticator({ sessions: services.sessions, users: services.users, apps: services.apps, clock: services.oauth.clock }),
    accounts: services.accounts,
    audit: services.audit,
    clock: services.oauth.clock,
    appControls: services.appControls,
    workspaces: services.workspaces,
    invitations: services.invitations,
    workspaceKeys: services.workspaceKeys,
    workspaceConnections: services.workspaceConnections,
    onAccessChanged: () => {
      services.verifier.clear();
      services.accessTokens.clear();
    },
    allowedOrigins: trustedOrigins,
    ...routeDeps,
  });
  // The OAuth authorization server at the origin (/authorize, /token, /register, metadata, consent pages).
  await app.register(oauthSurface, {
    publicUrl: config.http.publicUrl,
    oauth: services.oauth,
    apps: services.apps,
    sessions: services.sessions,
    log: logger,
    accessTokenTtlSeconds: config.oauth.accessTokenTtlSeconds,
    // Client ID Metadata Documents, fetched through the SSRF-guarded fetch (loopback targets only in tests).
    cimd: clientIdMetadataDocumentConfiguration({
      allowLoopback: config.oauth.cimdAllowLoopback,
      ...(cimdTrustedCertificates ? { trustedCertificates: [...cimdTrustedCertificates] } : {}),
      onRefused: (url, reason) => logger.warn({ url, reason }, 'client ID metadata document refused'),
    }),
  });
  await app.register(web.plugin);
  return app;
}
