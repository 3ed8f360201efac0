import fastifySwagger from '@fastify/swagger';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type RouteOptions } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import type { Config } from './config/schema.js';
import { randomBase62 } from './core/ids.js';
import type { Services } from './services.js';
import { healthSurface } from './surfaces/health/plugin.js';
import { apiKeyAuthenticator } from './surfaces/auth-hook.js';
import { sendHttpError, sendNotFound } from './surfaces/http-errors.js';
import { mcpSurface } from './surfaces/mcp/plugin.js';
import { restSurface } from './surfaces/rest/plugin.js';
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
}

/**
 * Builds the HTTP application: one Fastify instance, one plugin per surface, each with its own
 * authenticator and error format. It never listens (main.ts does), so tests use `inject()` and the
 * benchmark can add its baseline route beside the real ones.
 */
export async function buildApp({ config, services, logger, onRoute }: AppDeps): Promise<FastifyInstance> {
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
  app.setNotFoundHandler(sendNotFound);

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Cairn REST API', version: VERSION, description: 'Memories for AI agents. Authenticate with `Authorization: Bearer cairn_sk_…`.' },
      servers: [{ url: `${config.http.publicUrl}/api` }],
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'A Cairn API key (cairn_sk_…), also accepted as X-API-Key.' } } },
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
  // Each surface declares its ways in here, where it is registered. Today both accept API keys; OAuth
  // access tokens will be a second authenticator added beside this one, changing neither.
  await app.register(restSurface, {
    prefix: '/api',
    authenticate: apiKeyAuthenticator(services.verifier),
    memories: services.memories,
    apiKeys: services.apiKeys,
    users: services.users,
    publicUrl: config.http.publicUrl,
  });
  await app.register(mcpSurface, {
    prefix: '/mcp',
    memories: services.memories,
    authenticate: apiKeyAuthenticator(services.verifier),
    allowedHosts: config.http.allowedHosts,
    allowedOrigins: config.http.allowedOrigins,
    version: VERSION,
    bodyLimit: config.http.bodyLimit,
  });
  return app;
}
