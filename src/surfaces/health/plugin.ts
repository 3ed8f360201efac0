import type { FastifyPluginAsync } from 'fastify';
import { sendHttpError } from '../http-errors.js';

export interface HealthDeps {
  /** Resolves when the database answers and every migration is applied; throws otherwise. */
  readonly checkReady: () => Promise<void>;
}

/**
 * /healthz: the process is up (no I/O; for liveness probes). /readyz: the database answers and the schema
 * is current (for load balancers). Neither needs a credential and neither reveals anything but status.
 */
export const healthSurface: FastifyPluginAsync<HealthDeps> = async (app, deps) => {
  app.setErrorHandler(sendHttpError);
  app.get('/healthz', { schema: { hide: true } }, async (_req, reply) => reply.header('cache-control', 'no-store').send({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (req, reply) => {
    try {
      await deps.checkReady();
      return reply.header('cache-control', 'no-store').send({ status: 'ready' });
    } catch (err) {
      req.log.warn({ err }, 'not ready');
      // Bounded, but long enough for every pending migration of a fresh database (nine made 200 too short).
      return reply.code(503).header('cache-control', 'no-store').send({ status: 'unavailable', reason: (err as Error).message.slice(0, 2000) });
    }
  });
};
