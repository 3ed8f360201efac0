import { createHash, randomBytes } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  CIMD_MAX_DOCUMENT_BYTES,
  clientIdMetadataDocumentConfiguration,
  clientIdUrlProblem,
  createGuardedFetch,
  isAllowedAddress,
  OutboundFetchRefusedError,
  type CimdOptions,
} from './cimd.js';
import { selfSignedCertificate } from '../testing/self-signed-certificate.js';

// Everything runs against real servers on 127.0.0.1: an HTTPS server with a certificate made here (trusted
// only through the `trustedCertificates` option), and a real oidc-provider with the configuration fragment.

// ---- the document server ------------------------------------------------------------------------------

type Route = (req: IncomingMessage, res: ServerResponse) => void;

let tls: { key: string; cert: string };
let docs: HttpsServer;
let docsOrigin: string;
const routes = new Map<string, Route>();
const hits = new Map<string, number>();

function document(path: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    client_id: `${docsOrigin}${path}`,
    client_name: 'Example MCP client',
    redirect_uris: ['http://127.0.0.1:33418/callback'],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
    application_type: 'native',
    ...overrides,
  };
}

function json(body: unknown, headers: Record<string, string> = {}): Route {
  const text = JSON.stringify(body);
  return (_req, res) => res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers }).end(text);
}

beforeAll(async () => {
  tls = selfSignedCertificate(['localhost', 'cimd.test']);
  docs = createHttpsServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    const path = new URL(req.url ?? '/', 'https://x').pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const route = routes.get(path);
    if (route) route(req, res);
    else res.writeHead(404, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((resolve) => docs.listen(0, '127.0.0.1', resolve));
  docsOrigin = `https://127.0.0.1:${(docs.address() as AddressInfo).port}`;
});
afterAll(async () => {
  docs.closeAllConnections();
  await new Promise((resolve) => docs.close(resolve));
});
beforeEach(() => {
  routes.clear();
  hits.clear();
});

/** Test mode: loopback allowed, the test certificate trusted. */
const testMode = (extra: Partial<CimdOptions> = {}): CimdOptions => ({ allowLoopback: true, trustedCertificates: [tls.cert], ...extra });

async function refusal(promise: Promise<unknown>): Promise<string> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'expected the fetch to be refused').toBeInstanceOf(OutboundFetchRefusedError);
  return (err as OutboundFetchRefusedError).reason;
}

// ---- the guarded fetch --------------------------------------------------------------------------------

describe('CIMD fetch: SSRF guards (MCP 2025-11-25 §CIMD security, CIMD draft §6)', () => {
  it('refuses a loopback target unless allow-loopback is on, and fetches it when it is', async () => {
    routes.set('/client.json', json(document('/client.json')));
    const reasons: string[] = [];
    const production = createGuardedFetch({ trustedCertificates: [tls.cert], onRefused: (_url, reason) => reasons.push(reason) });
    expect(await refusal(production(`${docsOrigin}/client.json`))).toMatch(/127\.0\.0\.1, a private or special-use address/);
    expect(reasons).toHaveLength(1);
    expect(hits.get('/client.json')).toBeUndefined();

    const response = await createGuardedFetch(testMode())(`${docsOrigin}/client.json`, { headers: { accept: 'application/json' } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(document('/client.json'));
  });

  it('refuses a name that resolves to any private, link-local, CGNAT or other special-use address, even in test mode', async () => {
    const targets = ['10.1.2.3', '172.16.0.1', '192.168.1.1', '100.64.0.1', '169.254.169.254', '0.0.0.0', '224.0.0.1', '::', 'fd00::1', 'fe80::1', 'ff02::1', '::ffff:10.0.0.1', '64:ff9b::a00:1'];
    for (const address of targets) {
      const resolve = async () => [{ address: '93.184.216.34', family: 4 }, { address, family: address.includes(':') ? 6 : 4 }];
      const reason = await refusal(createGuardedFetch(testMode({ resolve }))('https://client.example/app.json'));
      expect(reason, address).toContain(`resolves to ${address}`);
    }
  });

  it('classifies addresses: public ones allowed, loopback only on request, IPv4-mapped forms like their IPv4 address', () => {
    for (const address of ['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8']) expect(isAllowedAddress(address), address).toBe(true);
    for (const address of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1']) {
      expect(isAllowedAddress(address), address).toBe(false);
      expect(isAllowedAddress(address, true), address).toBe(true);
    }
    for (const address of ['10.0.0.1', '192.168.0.1', '100.127.255.255', '169.254.0.1', '::ffff:192.168.0.1', '::ffff:c0a8:1', 'fc00::1', '2001:db8::1', 'not-an-ip']) {
      expect(isAllowedAddress(address, true), address).toBe(false);
    }
  });

  it('resolves once and connects to the address it checked, while TLS still verifies the hostname', async () => {
    routes.set('/pinned.json', json({ ok: true }));
    const port = (docs.address() as AddressInfo).port;
    let lookups = 0;
    // cimd.test exists nowhere but in this resolver and in the certificate's names.
    const resolve = async (hostname: string) => {
      lookups++;
      expect(hostname).toBe('cimd.test');
      return [{ address: '127.0.0.1', family: 4 }];
    };
    const response = await createGuardedFetch(testMode({ resolve }))(`https://cimd.test:${port}/pinned.json`);
    expect(await response.json()).toEqual({ ok: true });
    expect(lookups).toBe(1);
  });

  it('refuses a certificate it does not trust (the test certificate without trustedCertificates)', async () => {
    routes.set('/client.json', json(document('/client.json')));
    expect(await refusal(createGuardedFetch({ allowLoopback: true })(`${docsOrigin}/client.json`))).toMatch(/request failed: .*certificate/i);
  });

  it('does not follow redirects', async () => {
    routes.set('/moved.json', (_req, res) => res.writeHead(302, { location: `${docsOrigin}/client.json` }).end());
    routes.set('/client.json', json(document('/client.json')));
    expect(await refusal(createGuardedFetch(testMode())(`${docsOrigin}/moved.json`))).toBe('answered 302 (redirects are not followed)');
    expect(hits.get('/client.json')).toBeUndefined();
  });

  it('refuses a body over the size cap, whether declared in Content-Length or streamed', async () => {
    const big = JSON.stringify({ padding: 'x'.repeat(2000) });
    routes.set('/declared.json', json(JSON.parse(big)));
    routes.set('/streamed.json', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }); // chunked: no Content-Length
      res.write(big.slice(0, 1000));
      setTimeout(() => res.end(big.slice(1000)), 20);
    });
    const fetch = createGuardedFetch(testMode({ maxBytes: 1500 }));
    expect(await refusal(fetch(`${docsOrigin}/declared.json`))).toMatch(/body of \d+ bytes is over the 1500-byte limit/);
    expect(await refusal(fetch(`${docsOrigin}/streamed.json`))).toBe('body is over the 1500-byte limit');
  });

  it('gives up on a server that is too slow, within the time cap', async () => {
    routes.set('/slow.json', (_req, res) => void setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'), 3_000));
    const started = Date.now();
    expect(await refusal(createGuardedFetch(testMode({ timeoutMs: 300 }))(`${docsOrigin}/slow.json`))).toBe('no complete answer within 300 ms');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('also stops when the caller aborts (oidc-provider passes its own 2.5 s signal)', async () => {
    routes.set('/slow.json', (_req, res) => void setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'), 3_000));
    const err = await refusal(createGuardedFetch(testMode())(`${docsOrigin}/slow.json`, { signal: AbortSignal.timeout(200) }));
    expect(err).toBe('the caller gave up waiting (its own time limit)');
  });

  it('requires a JSON content type', async () => {
    routes.set('/page', (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('{"client_id":"x"}'));
    routes.set('/jwks', (_req, res) => res.writeHead(200, { 'content-type': 'application/jwk-set+json' }).end('{"keys":[]}'));
    const fetch = createGuardedFetch(testMode());
    expect(await refusal(fetch(`${docsOrigin}/page`))).toBe('content type "text/html" is not JSON');
    expect((await fetch(`${docsOrigin}/jwks`)).status).toBe(200);
  });

  it('fetches only https, and only with GET', async () => {
    const fetch = createGuardedFetch(testMode());
    expect(await refusal(fetch('http://127.0.0.1:1/client.json'))).toBe('only https URLs are fetched');
    expect(await refusal(fetch(`${docsOrigin}/client.json`, { method: 'POST' }))).toBe('only GET requests are made');
  });
});

describe('CIMD client_id URL policy', () => {
  it('requires https with a path, no user info and no fragment', () => {
    expect(clientIdUrlProblem('https://app.example/oauth/client.json')).toBeUndefined();
    expect(clientIdUrlProblem('https://app.example')).toBe('the client_id URL must have a path');
    expect(clientIdUrlProblem('https://app.example/')).toBe('the client_id URL must have a path');
    expect(clientIdUrlProblem('http://app.example/client.json')).toBe('the client_id URL must use https');
    expect(clientIdUrlProblem('https://u:p@app.example/client.json')).toBe('the client_id URL must not contain user info');
    expect(clientIdUrlProblem('https://app.example/client.json#x')).toBe('the client_id URL must not contain a fragment');
    expect(clientIdUrlProblem('not a url')).toBe('not a URL');
  });
});

// ---- with a real oidc-provider ------------------------------------------------------------------------

describe('CIMD in oidc-provider: an authorization request with a document URL as client_id', () => {
  interface ProviderLike {
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
  }
  let issuer: string;
  let server: HttpServer;
  let refused: { url: string; reason: string }[] = [];

  async function startProvider(options: CimdOptions): Promise<void> {
    const cimd = clientIdMetadataDocumentConfiguration({ ...options, onRefused: (url, reason) => refused.push({ url, reason }) });
    // A non-literal specifier: oidc-provider ships no type declarations, and this test needs none.
    const specifier: string = 'oidc-provider';
    const { default: Provider } = (await import(specifier)) as { default: new (issuer: string, configuration: object) => ProviderLike };
    server = createHttpServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const provider = new Provider(issuer, {
      clients: [],
      cookies: { keys: [randomBytes(32).toString('base64url')] },
      features: { devInteractions: { enabled: false }, ...cimd.features },
      fetch: cimd.fetch,
      fetchResponseBodyLimits: cimd.fetchResponseBodyLimits,
      pkce: { required: () => true },
    });
    server.on('request', provider.callback());
  }

  async function stopProvider(): Promise<void> {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }

  /** GET /auth as a browser would send it; the answer is not followed. */
  function authorize(clientId: string, redirectUri = 'http://127.0.0.1:33418/callback'): Promise<Response> {
    const verifier = randomBytes(32).toString('base64url');
    const query = new URLSearchParams({
      client_id: clientId,
      redirect_uri: redirectUri,
      response_type: 'code',
      scope: 'openid',
      state: randomBytes(8).toString('hex'),
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    });
    return fetch(`${issuer}/auth?${query}`, { redirect: 'manual' });
  }

  /** Accepted: the provider starts an interaction (login) for the client. */
  async function expectAccepted(response: Response): Promise<void> {
    expect(response.status, await response.clone().text()).toBe(303);
    expect(response.headers.get('location')).toMatch(/^\/interaction\/[\w-]+$/);
  }

  /** Refused before any redirect to the client: an error page, never a redirect to its redirect_uri. */
  async function expectRefused(response: Response, error = 'invalid_client'): Promise<void> {
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    expect(await response.text()).toContain(error);
  }

  describe('test mode (allow-loopback, test certificate trusted)', () => {
    beforeAll(() => startProvider(testMode()));
    afterAll(() => stopProvider());
    beforeEach(() => {
      refused = [];
    });

    it('advertises client_id_metadata_document_supported in its metadata', async () => {
      const metadata = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
      expect(metadata.client_id_metadata_document_supported).toBe(true);
    });

    it('accepts a good document, and fetches it once for several requests (cached by its Cache-Control)', async () => {
      routes.set('/good.json', json(document('/good.json'), { 'cache-control': 'max-age=300' }));
      await expectAccepted(await authorize(`${docsOrigin}/good.json`));
      await expectAccepted(await authorize(`${docsOrigin}/good.json`));
      expect(hits.get('/good.json')).toBe(1);
      expect(refused).toEqual([]);
    });

    it('caches a document without cache headers for the minimum time too', async () => {
      routes.set('/nocache.json', json(document('/nocache.json'), { 'cache-control': 'no-store' }));
      await expectAccepted(await authorize(`${docsOrigin}/nocache.json`));
      await expectAccepted(await authorize(`${docsOrigin}/nocache.json`));
      expect(hits.get('/nocache.json')).toBe(1);
    });

    it('refuses a redirect_uri the document does not list', async () => {
      routes.set('/strict.json', json(document('/strict.json')));
      const response = await authorize(`${docsOrigin}/strict.json`, 'http://127.0.0.1:9/elsewhere');
      expect(response.status).toBe(400);
      expect(response.headers.get('location')).toBeNull();
      expect(await response.text()).toContain('redirect_uri');
    });

    it('refuses a document whose client_id is not exactly its URL', async () => {
      routes.set('/mismatch.json', json(document('/mismatch.json', { client_id: `${docsOrigin}/other.json` })));
      await expectRefused(await authorize(`${docsOrigin}/mismatch.json`));
      routes.set('/trailing.json', json(document('/trailing.json', { client_id: `${docsOrigin}/trailing.json/` })));
      await expectRefused(await authorize(`${docsOrigin}/trailing.json`));
    });

    it('refuses a document without client_name or without redirect_uris', async () => {
      routes.set('/anonymous.json', json({ ...document('/anonymous.json'), client_name: undefined }));
      await expectRefused(await authorize(`${docsOrigin}/anonymous.json`));
      expect(refused).toContainEqual({ url: `${docsOrigin}/anonymous.json`, reason: 'the document has no client_name' });
      // oidc-provider checks this one itself.
      routes.set('/nowhere.json', json({ ...document('/nowhere.json'), redirect_uris: undefined }));
      await expectRefused(await authorize(`${docsOrigin}/nowhere.json`), 'redirect_uris is mandatory property');
    });

    it('refuses a document over the document size limit, a redirect, a slow or non-JSON answer', async () => {
      routes.set('/huge.json', json(document('/huge.json', { client_uri: undefined, padding: 'x'.repeat(CIMD_MAX_DOCUMENT_BYTES) })));
      routes.set('/moved.json', (_req, res) => res.writeHead(301, { location: `${docsOrigin}/good.json` }).end());
      routes.set('/text.json', (_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end(JSON.stringify(document('/text.json'))));
      for (const path of ['/huge.json', '/moved.json', '/text.json']) await expectRefused(await authorize(`${docsOrigin}${path}`));
      // The 6 KiB document passes the 64 KiB fetch cap; oidc-provider's document limit (set by the fragment) stops it.
      expect(hits.get('/huge.json')).toBeGreaterThan(0);
      expect(new Set(refused.map((r) => r.reason))).toEqual(new Set(['answered 301 (redirects are not followed)', 'content type "text/plain" is not JSON']));
    });

    it('refuses a client_id URL without a path before fetching anything', async () => {
      routes.set('/', json(document('/')));
      await expectRefused(await authorize(`${docsOrigin}/`));
      expect(hits.get('/')).toBeUndefined();
      expect(refused.length).toBeGreaterThan(0);
      expect(refused).toEqual(refused.map(() => ({ url: `${docsOrigin}/`, reason: 'the client_id URL must have a path' })));
    });
  });

  describe('production mode (loopback not allowed)', () => {
    beforeAll(() => startProvider({ trustedCertificates: [tls.cert] }));
    afterAll(() => stopProvider());

    it('refuses a document on a loopback address without fetching it', async () => {
      routes.set('/good.json', json(document('/good.json')));
      await expectRefused(await authorize(`${docsOrigin}/good.json`));
      expect(hits.get('/good.json')).toBeUndefined();
    });
  });
});
