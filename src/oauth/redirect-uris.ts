/** Hosts a loopback redirect may name (RFC 8252 §7.3); oidc-provider matches them on any port for native apps. */
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Schemes no redirect may use, whatever the app claims to be. */
const FORBIDDEN_SCHEMES = new Set(['javascript:', 'vbscript:', 'data:', 'blob:', 'file:', 'about:', 'ftp:', 'ws:', 'wss:']);

export type ApplicationType = 'web' | 'native';

export function isLoopbackRedirect(uri: string): boolean {
  const url = URL.parse(uri);
  return url !== null && url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
}

/**
 * Cairn's redirect URI rule, checked on every client oidc-provider loads (registration, stored clients,
 * Client ID Metadata Documents); the reason a URI is refused, or undefined when all are acceptable:
 *
 * - `web` apps (a server elsewhere): `https` only.
 * - `native` apps (desktop, CLI, IDE): `https` (not on a loopback host), `http` on a loopback host only
 *   (matched on any port), or an app's private-use scheme such as `cursor://…` (RFC 8252 §7.1; RFC 8252
 *   asks for reverse-domain names, but Cursor's and VS Code's are not, and PKCE protects the code anyway).
 *
 * No fragments, no credentials in the URI, nothing that is not an absolute URI. A registration that omits
 * `application_type` is `native` (oidc-provider's client default, set in provider.ts), so clients from before
 * the 2026-07-28 revision, which made the field mandatory, keep working with their loopback redirects.
 */
export function redirectUriProblem(uris: readonly string[], applicationType: ApplicationType): string | undefined {
  for (const uri of uris) {
    const url = URL.parse(uri);
    if (!url) return `redirect_uris must be absolute URIs (${uri})`;
    if (url.hash || uri.includes('#')) return `redirect_uris must not contain a fragment (${uri})`;
    if (url.username || url.password) return `redirect_uris must not contain credentials (${uri})`;
    const problem = applicationType === 'web' ? webProblem(url) : nativeProblem(url);
    if (problem) return `redirect_uris ${problem} (${uri})`;
  }
  return undefined;
}

function webProblem(url: URL): string | undefined {
  if (url.protocol === 'https:') return LOOPBACK_HOSTS.has(url.hostname) ? 'of a web application must not point at this computer (use application_type native)' : undefined;
  if (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)) return 'of a web application must use https (a loopback redirect needs application_type native)';
  return 'of a web application must use https';
}

function nativeProblem(url: URL): string | undefined {
  if (url.protocol === 'https:') return LOOPBACK_HOSTS.has(url.hostname) ? 'on this computer must use http (RFC 8252 §7.3)' : undefined;
  if (url.protocol === 'http:') return LOOPBACK_HOSTS.has(url.hostname) ? undefined : 'using http must point at this computer (localhost, 127.0.0.1 or [::1])';
  if (FORBIDDEN_SCHEMES.has(url.protocol)) return `must not use the ${url.protocol.slice(0, -1)} scheme`;
  return undefined;
}
