import type { IncomingHttpHeaders } from 'node:http';

export type Presented =
  | { readonly kind: 'key'; readonly value: string }
  | { readonly kind: 'missing' }
  /** A credential in the query string, two different credentials, or a non-Bearer scheme. */
  | { readonly kind: 'invalid'; readonly why: string };

const QUERY_CREDENTIAL = /[?&](access_token|api_key|apikey|key|token)=/i;

/**
 * Finds the API key a request presents: `Authorization: Bearer <key>` or `X-API-Key: <key>`. A credential
 * in the URL is refused outright (URLs end up in logs, proxies and browser history), and two different
 * keys in one request are refused rather than guessing which one was meant.
 */
export function presentedKey(headers: IncomingHttpHeaders, url: string): Presented {
  if (QUERY_CREDENTIAL.test(url)) return { kind: 'invalid', why: 'Credentials are not accepted in the URL; send an Authorization: Bearer header.' };
  const authorization = headers.authorization;
  const xApiKey = headers['x-api-key'];
  if (Array.isArray(xApiKey)) return { kind: 'invalid', why: 'Send one X-API-Key header.' };
  let bearer: string | undefined;
  if (authorization !== undefined) {
    const m = /^Bearer[ ]+([^\s]+)\s*$/i.exec(authorization);
    if (!m) return { kind: 'invalid', why: 'The Authorization header must be "Bearer <key>".' };
    bearer = m[1];
  }
  const key = xApiKey?.trim();
  if (bearer !== undefined && key !== undefined && key !== '' && key !== bearer) {
    return { kind: 'invalid', why: 'The request carries two different credentials.' };
  }
  const value = bearer ?? (key === '' ? undefined : key);
  return value === undefined ? { kind: 'missing' } : { kind: 'key', value };
}
