import type { FastifyReply, FastifyRequest } from 'fastify';
import { presentedKey } from '../auth/api-keys/presented-key.js';
import type { ApiKeyVerifier, VerifyFailure } from '../auth/api-keys/verify-api-key.js';
import { AppError } from '../errors/app-error.js';
import type { Principal } from '../core/principal.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the surface's authenticator before any handler runs; routes never parse credentials. */
    principal?: Principal;
  }
}

/** Messages a caller sees for each failure; specific enough to fix a config, never revealing whether a key id exists. */
const FAILURE_MESSAGES: Record<VerifyFailure, string> = {
  MALFORMED: 'The credential is not a Cairn API key.',
  CHECKSUM: 'The API key is mistyped or truncated (checksum mismatch).',
  NOT_FOUND: 'The API key is not valid.',
  REVOKED: 'The API key has been revoked.',
  EXPIRED: 'The API key has expired.',
  NO_ACCESS: 'The API key is not valid.',
};

/** An authentication failure: surfaces turn it into their own 401 shape with a Bearer challenge. */
export class AuthenticationError extends AppError {
  constructor(
    message: string,
    /** True when a credential was presented (the challenge then says error="invalid_token"). */
    readonly presented: boolean,
  ) {
    super('UNAUTHENTICATED', message);
  }
}

/**
 * The API-key authenticator as an onRequest hook. A surface registers it on its own subtree; another
 * credential kind (OAuth tokens, sessions) will be its own authenticator, registered beside it, and
 * adding it changes nothing here.
 */
export function apiKeyAuthenticator(verifier: ApiKeyVerifier) {
  return async function authenticate(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
    const presented = presentedKey(request.headers, request.url);
    if (presented.kind === 'missing') throw new AuthenticationError('A credential is required: send Authorization: Bearer <cairn API key>.', false);
    if (presented.kind === 'invalid') throw new AuthenticationError(presented.why, true);
    const result = await verifier.verify(presented.value, request.id);
    if (!result.ok) throw new AuthenticationError(FAILURE_MESSAGES[result.reason], true);
    request.principal = result.principal;
  };
}

/** The principal set by the authenticator; a route that runs without one is a wiring bug, so it is a 500. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new Error(`route ${request.routeOptions.url} ran without an authenticated principal`);
  return request.principal;
}

/** RFC 6750 §3.1 challenge for a 403: every scope the operation needs, in one header (step-up asks once). */
export function scopeChallenge(err: AppError): string {
  const scopes = (err.details?.requiredScopes as string[] | undefined) ?? [];
  return `Bearer realm="cairn", error="insufficient_scope", scope="${scopes.join(' ')}"`;
}

/** RFC 6750 challenge. resource_metadata and scope are added when OAuth arrives (issue 3). */
export function bearerChallenge(err: AuthenticationError): string {
  const parts = ['Bearer realm="cairn"'];
  if (err.presented) parts.push('error="invalid_token"', `error_description="${err.message.replace(/["\\]/g, "'")}"`);
  return parts.join(', ');
}
