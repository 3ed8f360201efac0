import type { FastifyReply, FastifyRequest } from 'fastify';
import { API_KEY_PREFIX } from '../auth/api-keys/api-key.js';
import { presentedKey } from '../auth/api-keys/presented-key.js';
import type { ApiKeyVerifier, VerifyFailure } from '../auth/api-keys/verify-api-key.js';
import { bearerValue, presentedAccessToken, QUERY_CREDENTIAL } from '../auth/oauth-tokens/presented-token.js';
import { isCompactJws, type AccessTokenFailure, type AccessTokenVerifier } from '../auth/oauth-tokens/verify-access-token.js';
import { AppError } from '../errors/app-error.js';
import type { Principal } from '../core/principal.js';
import { RESOURCE_SCOPES, resourceMetadataUrl } from './protected-resource/metadata.js';

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
 * credential kind is its own authenticator beside it (OAuth access tokens below, composed by
 * `oneOfAuthenticator`), and adding one changes nothing here.
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

/** Messages for each access-token failure: enough to tell an expired token from one for another server. */
const TOKEN_FAILURE_MESSAGES: Record<AccessTokenFailure, string> = {
  MALFORMED: 'The access token is malformed.',
  NOT_ACCESS_TOKEN: 'The token is not an access token (typ must be at+jwt).',
  UNSUPPORTED_ALG: 'The access token is not signed with ES256.',
  UNKNOWN_KEY: 'The access token was not signed by this server.',
  BAD_SIGNATURE: 'The access token signature is invalid.',
  WRONG_ISSUER: 'The access token was issued by another authorization server.',
  WRONG_AUDIENCE: 'The access token was issued for another resource.',
  EXPIRED: 'The access token has expired.',
  NOT_YET_VALID: 'The access token is not valid yet.',
  REVOKED: 'The access token has been revoked.',
  NO_ACCESS: 'The access token is not valid.',
};

/**
 * The OAuth access-token authenticator: `Authorization: Bearer <JWT>` only, verified locally by the
 * `AccessTokenVerifier`. Its own way in, beside the API-key one; neither knows the other.
 */
export function accessTokenAuthenticator(verifier: AccessTokenVerifier) {
  return async function authenticateAccessToken(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
    const presented = presentedAccessToken(request.headers, request.url);
    if (presented.kind === 'missing') throw new AuthenticationError('A credential is required: send Authorization: Bearer <access token>.', false);
    if (presented.kind === 'invalid') throw new AuthenticationError(presented.why, true);
    const result = await verifier.verify(presented.value, request.id);
    if (!result.ok) throw new AuthenticationError(TOKEN_FAILURE_MESSAGES[result.reason], true);
    request.principal = result.principal;
  };
}

type Hook = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

/** One way into a surface: the credential shape it takes (looked at, not verified) and the hook that verifies it. */
export interface WayIn {
  presents(request: FastifyRequest): boolean;
  readonly authenticate: Hook;
}

/** API keys: an `X-API-Key` header (an empty one counts as none, as it always has), or a `cairn_sk_…` bearer value. */
export function apiKeyWay(verifier: ApiKeyVerifier): WayIn {
  return {
    presents: (request) => {
      const header = request.headers['x-api-key'];
      return Array.isArray(header) || (header !== undefined && header.trim() !== '') || (bearerValue(request.headers)?.startsWith(API_KEY_PREFIX) ?? false);
    },
    authenticate: apiKeyAuthenticator(verifier),
  };
}

/** OAuth access tokens: a compact JWS (`header.payload.signature`) as the bearer value. */
export function accessTokenWay(verifier: AccessTokenVerifier): WayIn {
  return {
    presents: (request) => {
      const value = bearerValue(request.headers);
      return value !== undefined && isCompactJws(value);
    },
    authenticate: accessTokenAuthenticator(verifier),
  };
}

/**
 * A surface's authenticator over several ways in: the one way whose credential shape the request presents
 * verifies it. Each way is complete on its own, so adding one changes what no other accepts or refuses:
 *   1. a credential in the URL is refused, whatever the headers say;
 *   2. no credential at all is a 401 without an error code (RFC 6750 §3.1), so a client starts discovery;
 *   3. exactly one way recognises the credential: that way decides;
 *   4. two ways do (an X-API-Key beside a bearer token): refused rather than guessed between;
 *   5. none does: 401 invalid_token.
 */
export function oneOfAuthenticator(ways: readonly WayIn[]) {
  return async function authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (QUERY_CREDENTIAL.test(request.url)) throw new AuthenticationError('Credentials are not accepted in the URL; send an Authorization: Bearer header.', true);
    const matching = ways.filter((way) => way.presents(request));
    if (matching.length === 1) return matching[0]!.authenticate(request, reply);
    if (matching.length > 1) throw new AuthenticationError('The request carries two different credentials.', true);
    const { authorization } = request.headers;
    if (authorization === undefined || authorization === '') {
      throw new AuthenticationError('A credential is required: send Authorization: Bearer <access token or Cairn API key>.', false);
    }
    throw new AuthenticationError('The credential is neither a Cairn access token nor a Cairn API key.', true);
  };
}

/**
 * What a surface's challenges point OAuth clients at: the protected-resource metadata (RFC 9728 §5.1) and
 * the scopes to ask for. The same on /mcp and /api, which are one protected resource.
 */
export interface ResourceChallenge {
  readonly resourceMetadata: string;
  readonly scopes: readonly string[];
}

export function resourceChallenge(publicUrl: string): ResourceChallenge {
  return { resourceMetadata: resourceMetadataUrl(publicUrl), scopes: RESOURCE_SCOPES };
}

/** An RFC 6750 quoted-string value: quotes and backslashes cannot be escaped reliably, so they become '. */
const quoted = (value: string) => `"${value.replace(/["\\\r\n]/g, "'")}"`;

/**
 * RFC 6750 §3 challenge for a 401: where the protected-resource metadata is and which scopes to ask for;
 * error="invalid_token" (with a description) only when a credential was presented (§3.1: none without).
 */
export function bearerChallenge(err: AuthenticationError, challenge: ResourceChallenge): string {
  const parts = [`Bearer resource_metadata=${quoted(challenge.resourceMetadata)}`, `scope=${quoted(challenge.scopes.join(' '))}`];
  if (err.presented) parts.push('error="invalid_token"', `error_description=${quoted(err.message)}`);
  return parts.join(', ');
}

/** RFC 6750 §3.1 challenge for a 403: every scope the operation needs, in one header (step-up asks once). */
export function scopeChallenge(err: AppError, challenge: ResourceChallenge): string {
  const scopes = (err.details?.requiredScopes as string[] | undefined) ?? [];
  return [
    'Bearer error="insufficient_scope"',
    `scope=${quoted(scopes.join(' '))}`,
    `resource_metadata=${quoted(challenge.resourceMetadata)}`,
    `error_description=${quoted(err.message)}`,
  ].join(', ');
}
