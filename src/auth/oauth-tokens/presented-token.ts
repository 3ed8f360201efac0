import type { IncomingHttpHeaders } from 'node:http';

export type PresentedToken =
  | { readonly kind: 'token'; readonly value: string }
  | { readonly kind: 'missing' }
  /** A credential in the query string, or an Authorization header that is not `Bearer <token>`. */
  | { readonly kind: 'invalid'; readonly why: string };

/** The query parameters a credential could hide in; any of them refuses the request (RFC 6750 §2.3 is not supported). */
export const QUERY_CREDENTIAL = /[?&](access_token|api_key|apikey|key|token)=/i;

const BEARER = /^Bearer[ ]+([^\s]+)\s*$/i;

/**
 * Finds the access token a request presents: `Authorization: Bearer <token>` and nowhere else. MCP forbids
 * tokens in the URL (they end up in logs, proxies and browser history), so `?access_token=` is refused
 * outright, even beside a valid header; form bodies are not a bearer method Cairn offers either.
 */
export function presentedAccessToken(headers: IncomingHttpHeaders, url: string): PresentedToken {
  if (QUERY_CREDENTIAL.test(url)) return { kind: 'invalid', why: 'Credentials are not accepted in the URL; send an Authorization: Bearer header.' };
  const authorization = headers.authorization;
  if (authorization === undefined || authorization === '') return { kind: 'missing' };
  const m = BEARER.exec(authorization);
  if (!m) return { kind: 'invalid', why: 'The Authorization header must be "Bearer <access token>".' };
  return { kind: 'token', value: m[1]! };
}

/** The bearer value of `Authorization: Bearer <value>`, or undefined; for telling credential shapes apart. */
export function bearerValue(headers: IncomingHttpHeaders): string | undefined {
  const authorization = headers.authorization;
  return authorization === undefined ? undefined : BEARER.exec(authorization)?.[1];
}
