import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { resourceChallenge } from '../auth-hook.js';
import { httpErrorHandler, sendNotFound } from '../http-errors.js';
import { authenticatedRoutes } from './routes.js';
import type { RestApp, RestDeps } from './types.js';

/**
 * The REST surface, mounted at /api. It owns its authenticator (given by app.ts), its error format (one JSON
 * envelope) and its routes. The OpenAPI document is a public sibling context, not a "skip auth for this
 * path" branch inside the authenticator.
 */
export const restSurface: FastifyPluginAsync<RestDeps> = async (root, deps) => {
  const app = root.withTypeProvider<ZodTypeProvider>() as RestApp;
  app.setErrorHandler(httpErrorHandler(resourceChallenge(deps.publicUrl)));
  app.setNotFoundHandler(sendNotFound);

  await app.register(async (pub) => {
    pub.get('/v1/openapi.json', { schema: { hide: true } }, async (_req, reply) => {
      return reply.header('cache-control', 'public, max-age=300').send(root.swagger());
    });
  });

  await app.register(async (authed) => {
    const typed = authed.withTypeProvider<ZodTypeProvider>() as RestApp;
    typed.addHook('onRequest', deps.authenticate);
    for (const register of authenticatedRoutes) register(typed, deps);
  });
};
