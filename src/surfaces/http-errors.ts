import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { toHttpError } from '../errors/to-http.js';
import { isAppError } from '../errors/app-error.js';
import { AuthenticationError, bearerChallenge, scopeChallenge, type ResourceChallenge } from './auth-hook.js';

type ErrorHandler = (err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) => FastifyReply;

/**
 * The JSON error handler for HTTP surfaces (REST, health): one envelope for everything, including
 * framework errors. 5xx details go to the log with the request id, never to the caller. A surface behind an
 * authenticator passes its `ResourceChallenge`, so its 401s and 403s tell OAuth clients where to start.
 */
export function httpErrorHandler(challenge: ResourceChallenge | undefined): ErrorHandler {
  return function sendError(err, request, reply) {
    const { status, body, log } = toHttpError(err, request.id);
    if (log !== undefined) request.log.error({ err: log }, 'request failed');
    else if (status >= 500) request.log.warn({ code: body.error.code }, 'request unavailable');
    if (challenge && err instanceof AuthenticationError) reply.header('www-authenticate', bearerChallenge(err, challenge));
    else if (challenge && isAppError(err) && err.code === 'INSUFFICIENT_SCOPE') reply.header('www-authenticate', scopeChallenge(err, challenge));
    if (status === 503) reply.header('retry-after', '5');
    return reply.code(status).header('cache-control', 'no-store').send(body);
  };
}

/** The handler for routes without credentials (root, health): the same envelope, no challenge. */
export const sendHttpError: ErrorHandler = httpErrorHandler(undefined);

export function sendNotFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return reply.code(404).send({ error: { code: 'NOT_FOUND', message: `No route ${request.method} ${request.url.split('?')[0]}.`, requestId: request.id } });
}
