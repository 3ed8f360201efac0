/** Where a person lands after signing in when no (acceptable) return_to was given. */
export const DEFAULT_RETURN_TO = '/login';

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * A `return_to` value as a same-origin path (`/authorize?…`), or undefined when it is anything else: an
 * absolute URL (even to Cairn itself), a protocol-relative `//host`, a backslash path that browsers read as
 * `//`, an encoded slash that a router might decode into one, or control characters. This is what keeps the
 * login page from being an open redirect.
 */
export function safeReturnTo(value: unknown, publicUrl: string): string | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > 2048) return undefined;
  if (!value.startsWith('/') || value.startsWith('//') || value.includes('\\') || CONTROL.test(value)) return undefined;
  const path = value.split(/[?#]/, 1)[0]!;
  if (/%2f|%5c/i.test(path)) return undefined;
  let url: URL;
  try {
    url = new URL(value, publicUrl);
  } catch {
    return undefined;
  }
  if (url.origin !== new URL(publicUrl).origin) return undefined;
  return `${url.pathname}${url.search}${url.hash}`;
}

/** The login page URL that brings a person back to `returnTo` (a same-origin path) afterwards. */
export function loginPathFor(returnTo: string, publicUrl: string): string {
  const safe = safeReturnTo(returnTo, publicUrl);
  return safe === undefined || safe === DEFAULT_RETURN_TO ? '/login' : `/login?return_to=${encodeURIComponent(safe)}`;
}
