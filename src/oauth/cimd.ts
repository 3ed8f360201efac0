import { lookup as dnsLookup } from 'node:dns/promises';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { rootCertificates } from 'node:tls';

/**
 * Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document, MCP 2025-11-25 and later):
 * a client's `client_id` is an https URL, and the authorization server fetches the client's metadata from
 * it. oidc-provider 9.13.3 implements the protocol as the experimental feature `clientIdMetadataDocument`
 * (acknowledged as 'draft-02'): it treats an https client_id as a document URL, fetches it through the
 * provider-wide `fetch` option with `redirect: 'manual'` and a 2.5 s abort signal, requires status 200,
 * caps the body with `fetchResponseBodyLimits['client_id metadata document']`, requires `client_id` to
 * equal the URL exactly, forbids shared-secret auth methods and https-less web URIs, and caches the
 * document in a 100-entry LRU for its Cache-Control max-age / Expires, clamped to `cacheDuration`.
 *
 * What Cairn adds around it, here:
 * - URL policy (`allowFetch`): the URL must have a path (`https://host/` alone is refused).
 * - A `fetch` that is safe to point at any URL a stranger chooses (server-side request forgery): the host is
 *   resolved once, every address it resolves to must be public, and the connection is pinned to the address
 *   that was checked (a DNS answer that changes between check and connect cannot redirect it); no redirects;
 *   a time cap; a hard size cap on every response; a JSON content type. The provider uses this `fetch` for
 *   all its outgoing requests (also `jwks_uri` and `sector_identifier_uri`), which is what we want: all of
 *   them are URLs a client chose.
 * - The document fields the MCP spec requires that the library does not check (`allowClient`): a non-empty
 *   `client_name` and at least one redirect URI.
 */

/** Bytes a client ID metadata document may have; the CIMD draft's own example limit (5 kilobytes). */
export const CIMD_MAX_DOCUMENT_BYTES = 5 * 1024;
/** Bytes any response to the provider's outgoing fetches may have (a JWKS with several keys fits easily). */
export const FETCH_MAX_BYTES = 64 * 1024;
/** Whole request (connect, TLS, headers, body). oidc-provider also aborts each fetch after 2.5 s. */
export const FETCH_TIMEOUT_MS = 5_000;
/**
 * Bounds on how long a fetched document is reused, in seconds, whatever its cache headers say: at least a
 * minute (a burst of authorization requests fetches once), at most an hour (a client that changes its
 * redirect URIs or is taken over is seen again within the hour).
 */
export const CIMD_CACHE_SECONDS = { min: 60, max: 3600 } as const;

/** oidc-provider's acknowledgement string for the CIMD version it implements; a mismatch fails its start. */
export const CIMD_FEATURE_ACK = 'draft-02';

export interface CimdOptions {
  /**
   * Allow targets on loopback addresses (127.0.0.0/8, ::1). For tests, which serve documents from
   * 127.0.0.1; never in production, where it would let any client_id reach services on the host itself.
   * Every other private or special-use range stays refused either way.
   */
  readonly allowLoopback?: boolean;
  /** Extra trusted certificate authorities (PEM), in addition to Node's bundled roots. For tests' self-signed servers. */
  readonly trustedCertificates?: readonly string[];
  /** Resolves a hostname to every address it has. Defaults to the system resolver (dns.lookup, all). */
  readonly resolve?: (hostname: string) => Promise<readonly { address: string; family: number }[]>;
  readonly timeoutMs?: number;
  readonly maxBytes?: number;
  readonly maxDocumentBytes?: number;
  /** Told about every refusal (URL policy, address, redirect, size, time, content type, document field), for the log. */
  readonly onRefused?: (url: string, reason: string) => void;
}

/** Why a guarded fetch was refused; oidc-provider turns it into `invalid_client` with this as the cause. */
export class OutboundFetchRefusedError extends Error {
  override readonly name = 'OutboundFetchRefusedError';
  constructor(
    readonly url: string,
    readonly reason: string,
  ) {
    super(`refused to fetch ${url}: ${reason}`);
  }
}

/** The `fetch` signature oidc-provider calls: WHATWG fetch arguments plus its own undici `dispatcher`. */
export type ProviderFetch = (url: string | URL, init?: RequestInit & { dispatcher?: unknown }) => Promise<Response>;

/** The part of an oidc-provider Client that `allowClient` reads (camel-cased metadata). */
interface ProviderClient {
  readonly clientId: string;
  readonly clientName?: unknown;
  readonly redirectUris?: unknown;
}

/** A type alias, not an interface, so that it is assignable to a plain `Record<string, unknown>` configuration. */
export type CimdProviderConfiguration = {
  readonly features: {
    readonly clientIdMetadataDocument: {
      readonly enabled: true;
      readonly ack: typeof CIMD_FEATURE_ACK;
      readonly allowFetch: (ctx: unknown, clientId: string) => Promise<boolean>;
      readonly allowClient: (ctx: unknown, client: ProviderClient) => Promise<boolean>;
      readonly cacheDuration: { readonly min: number; readonly max: number };
    };
  };
  readonly fetch: ProviderFetch;
  readonly fetchResponseBodyLimits: Readonly<Record<'client_id metadata document' | 'jwks_uri' | 'sector_identifier_uri', number>>;
};

/**
 * The oidc-provider configuration fragment that turns on Client ID Metadata Documents with Cairn's guards.
 *
 * How to wire it (src/oauth, where the Provider is built):
 * ```ts
 * const cimd = clientIdMetadataDocumentConfiguration({ allowLoopback: config.oauth.cimd.allowLoopback,
 *   onRefused: (url, reason) => log.warn({ url, reason }, 'client ID metadata document refused') });
 * new Provider(issuer, {
 *   ...rest,
 *   features: { ...features, ...cimd.features },          // merge the key, do not replace `features`
 *   fetch: cimd.fetch,                                     // the provider-wide outgoing fetch
 *   fetchResponseBodyLimits: cimd.fetchResponseBodyLimits,
 * });
 * ```
 * Discovery then advertises `client_id_metadata_document_supported: true` by itself. CIMD clients are
 * public or `private_key_jwt` clients, so `token_endpoint_auth_methods_supported` must include `none`
 * (Claude uses CIMD only then). `allowLoopback` is for tests alone; keep it a setting of its own, off by default.
 */
export function clientIdMetadataDocumentConfiguration(options: CimdOptions = {}): CimdProviderConfiguration {
  const refuse = (url: string, reason: string): false => {
    options.onRefused?.(url, reason);
    return false;
  };
  const maxBytes = options.maxBytes ?? FETCH_MAX_BYTES;
  return {
    features: {
      clientIdMetadataDocument: {
        enabled: true,
        ack: CIMD_FEATURE_ACK,
        async allowFetch(_ctx, clientId) {
          const problem = clientIdUrlProblem(clientId);
          return problem ? refuse(clientId, problem) : true;
        },
        async allowClient(_ctx, client) {
          const problem = documentProblem(client);
          return problem ? refuse(client.clientId, problem) : true;
        },
        cacheDuration: { ...CIMD_CACHE_SECONDS },
      },
    },
    fetch: createGuardedFetch(options),
    fetchResponseBodyLimits: {
      'client_id metadata document': Math.min(options.maxDocumentBytes ?? CIMD_MAX_DOCUMENT_BYTES, maxBytes),
      jwks_uri: maxBytes,
      sector_identifier_uri: maxBytes,
    },
  };
}

/**
 * What is wrong with `clientId` as a document URL, or undefined. The library already refuses non-https
 * URLs, fragments, user info and dot segments before asking; MCP also requires a path.
 */
export function clientIdUrlProblem(clientId: string): string | undefined {
  const url = URL.parse(clientId);
  if (!url) return 'not a URL';
  if (url.protocol !== 'https:') return 'the client_id URL must use https';
  if (url.pathname === '/' || url.pathname === '') return 'the client_id URL must have a path';
  if (url.username || url.password) return 'the client_id URL must not contain user info';
  if (url.hash || clientId.includes('#')) return 'the client_id URL must not contain a fragment';
  return undefined;
}

function documentProblem(client: ProviderClient): string | undefined {
  if (typeof client.clientName !== 'string' || client.clientName.trim() === '') return 'the document has no client_name';
  if (!Array.isArray(client.redirectUris) || client.redirectUris.length === 0) return 'the document has no redirect_uris';
  return undefined;
}

// ---- the guarded fetch ----------------------------------------------------------------------------------

/**
 * Addresses no client-chosen URL may reach: "this network", private (RFC 1918), carrier-grade NAT, loopback,
 * link-local, IETF protocol assignments, documentation, benchmarking, multicast and reserved ranges, and their
 * IPv6 counterparts (unspecified, loopback, unique-local, link-local, site-local, multicast, documentation,
 * NAT64, 6to4 and Teredo, which embed an IPv4 address of any kind). Node's BlockList matches IPv4-mapped IPv6
 * addresses (::ffff:10.0.0.1) against the IPv4 rules.
 */
const SPECIAL_USE = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  SPECIAL_USE.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 96], // unspecified (::) and the deprecated IPv4-compatible addresses; ::1 is handled as loopback
  ['64:ff9b::', 96],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001::', 32],
  ['2001:db8::', 32],
  ['2002::', 16],
  ['3fff::', 20],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  SPECIAL_USE.addSubnet(network, prefix, 'ipv6');
}
const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** Whether a connection to `address` is allowed: public addresses always, loopback only when allowed. */
export function isAllowedAddress(address: string, allowLoopback = false): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (LOOPBACK.check(address, type)) return allowLoopback;
  return !SPECIAL_USE.check(address, type);
}

const defaultResolve = (hostname: string) => dnsLookup(hostname, { all: true, verbatim: true });

/**
 * A `fetch` for oidc-provider that only ever talks https to a public address it checked itself. Steps:
 * 1. the URL must be https (CIMD URLs always are; so are the provider's other outgoing URLs in practice);
 * 2. the hostname is resolved once; every address must be allowed, or the fetch is refused;
 * 3. the request connects to the first checked address (a `lookup` that answers only with it), while TLS
 *    still verifies the certificate against the hostname;
 * 4. a 3xx is refused, never followed; a 200 must be JSON; the body is read up to `maxBytes`;
 * 5. the whole exchange is aborted after `timeoutMs`, or earlier if the caller's signal fires.
 * The answer is a buffered WHATWG Response, which is what the provider reads.
 */
export function createGuardedFetch(options: CimdOptions = {}): ProviderFetch {
  const resolve = options.resolve ?? defaultResolve;
  const maxBytes = options.maxBytes ?? FETCH_MAX_BYTES;
  const timeoutMs = options.timeoutMs ?? FETCH_TIMEOUT_MS;
  const ca = options.trustedCertificates?.length ? [...rootCertificates, ...options.trustedCertificates] : undefined;

  return async function guardedFetch(input, init = {}) {
    const url = new URL(String(input));
    const refuse = (reason: string): never => {
      options.onRefused?.(url.href, reason);
      throw new OutboundFetchRefusedError(url.href, reason);
    };
    // 1.
    if (url.protocol !== 'https:') refuse('only https URLs are fetched');
    if ((init.method ?? 'GET').toUpperCase() !== 'GET') refuse('only GET requests are made');
    // 2.
    const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const addresses = isIP(hostname) ? [{ address: hostname, family: isIP(hostname) }] : await resolve(hostname).catch((err: Error) => refuse(`cannot resolve ${hostname}: ${err.message}`));
    if (addresses.length === 0) refuse(`${hostname} has no address`);
    const forbidden = addresses.find((a) => !isAllowedAddress(a.address, options.allowLoopback));
    if (forbidden) refuse(`${hostname} resolves to ${forbidden.address}, a private or special-use address`);
    const pinned = addresses[0]!;
    // 3.-5.
    const signal = AbortSignal.any([AbortSignal.timeout(timeoutMs), ...(init.signal ? [init.signal] : [])]);
    return request(url, pinned, { headers: new Headers(init.headers), signal, maxBytes, ca }).catch((err: unknown) => {
      if (err instanceof OutboundFetchRefusedError) return refuse(err.reason);
      if (init.signal?.aborted) return refuse('the caller gave up waiting (its own time limit)');
      if (signal.aborted) return refuse(`no complete answer within ${timeoutMs} ms`);
      return refuse(`request failed: ${(err as Error).message}`);
    });
  };
}

interface RequestSettings {
  readonly headers: Headers;
  readonly signal: AbortSignal;
  readonly maxBytes: number;
  readonly ca: string[] | undefined;
}

function request(url: URL, pinned: { address: string; family: number }, settings: RequestSettings): Promise<Response> {
  // Node may ask for every address (autoSelectFamily) or for one; either way it gets only the checked one.
  const lookup: LookupFunction = (_hostname, lookupOptions, callback) => {
    if (lookupOptions.all) (callback as unknown as (err: null, all: { address: string; family: number }[]) => void)(null, [pinned]);
    else callback(null, pinned.address, pinned.family);
  };
  const headers: Record<string, string> = {};
  settings.headers.forEach((value, key) => (headers[key] = value));
  return new Promise<Response>((resolve, reject) => {
    const req = httpsRequest(
      {
        host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: url.port || 443,
        path: `${url.pathname}${url.search}`,
        method: 'GET',
        headers,
        lookup,
        ca: settings.ca,
        agent: false,
        signal: settings.signal,
      },
      (res) => {
        const status = res.statusCode ?? 0;
        const fail = (reason: string) => {
          res.destroy();
          reject(new OutboundFetchRefusedError(url.href, reason));
        };
        if (status >= 300 && status < 400) return fail(`answered ${status} (redirects are not followed)`);
        const contentType = String(res.headers['content-type'] ?? '');
        if (status === 200 && !isJson(contentType)) return fail(`content type "${contentType || 'none'}" is not JSON`);
        const declared = Number(res.headers['content-length']);
        if (Number.isFinite(declared) && declared > settings.maxBytes) return fail(`body of ${declared} bytes is over the ${settings.maxBytes}-byte limit`);
        const chunks: Buffer[] = [];
        let received = 0;
        res.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received > settings.maxBytes) return fail(`body is over the ${settings.maxBytes}-byte limit`);
          chunks.push(chunk);
        });
        let ended = false;
        res.once('error', reject);
        // A connection that drops mid-body (or is aborted) may close without an error; never hang on it.
        res.once('close', () => {
          if (!ended) reject(new Error('the connection closed before the body was complete'));
        });
        res.once('end', () => {
          ended = true;
          const responseHeaders = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            if (value === undefined) continue;
            for (const v of Array.isArray(value) ? value : [value]) responseHeaders.append(name, v);
          }
          resolve(new Response(status === 204 ? null : Buffer.concat(chunks), { status, statusText: res.statusMessage ?? '', headers: responseHeaders }));
        });
      },
    );
    req.once('error', reject);
    req.end();
  });
}

/** application/json or a +json type (application/jwk-set+json), parameters ignored. */
function isJson(contentType: string): boolean {
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  return type === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(type);
}
