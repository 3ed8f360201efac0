import rateLimit from '@fastify/rate-limit';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { httpErrorHandler, sendNotFound } from '../http-errors.js';
import { AppError } from '../../errors/app-error.js';
import { dashboardCsrf } from './authenticate.js';
import { dashboardRoutes, mirroredRestRoutes } from './routes.js';
import type { DashboardApp, DashboardDeps } from './types.js';

/**
 * The dashboard surface, mounted at /dashboard/api: the JSON API the web app (web/) talks to. Its one way in
 * is the authenticator app.ts gives it, the browser session (no API key, no access token), run after the
 * CSRF rule; its errors are the
 * REST envelope without a Bearer challenge (this is not an OAuth resource); nothing it answers is cached.
 */
export const dashboardSurface: FastifyPluginAsync<DashboardDeps> = async (root, deps) => {
  const app = root.withTypeProvider<ZodTypeProvider>() as DashboardApp;
  app.setErrorHandler(httpErrorHandler(undefined));
  app.setNotFoundHandler(sendNotFound);
  app.addHook('onSend', async (_req, reply, payload) => {
    reply.header('cache-control', 'no-store');
    return payload;
  });
  // Order matters: the origin check runs first, so a cross-site request is refused before the session is read.
  app.addHook('onRequest', dashboardCsrf(deps.allowedOrigins));
  app.addHook('onRequest', deps.authenticate);
  // Per-route limits (invitation links), counted per signed-in person; route hooks run after the session is read.
  await app.register(rateLimit, {
    global: false,
    keyGenerator: (request) => request.dashboardSession?.userId ?? request.ip,
    errorResponseBuilder: (_request, context) => new AppError('RATE_LIMITED', `Too many attempts; retry in ${context.after}.`),
  });
  for (const register of [...mirroredRestRoutes, ...dashboardRoutes]) register(app, deps);
};
