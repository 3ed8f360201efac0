import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';

/**
 * A scripted OAuth client and browser for in-process tests of the authorization server: registration, the
 * authorization request, the consent form (as a person submits it), the redirect back and the token
 * request, all through `inject()`. A small cookie jar plays the browser's part (paths are ignored: every
 * cookie goes with every request, which only ever sends more than a browser would).
 */
export class CookieJar {
  private readonly cookies = new Map<string, string>();

  constructor(initial = '') {
    this.add(initial.split(';').map((c) => c.trim()).filter(Boolean));
  }

  /** Takes `Set-Cookie` headers (or `name=value` pairs); an empty value deletes the cookie. */
  add(setCookie: string | string[] | undefined): void {
    for (const line of setCookie === undefined ? [] : [setCookie].flat()) {
      const pair = line.split(';', 1)[0]!;
      const eq = pair.indexOf('=');
      if (eq < 1) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  has(name: string): boolean {
    return this.cookies.has(name);
  }

  get header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

export interface Pkce {
  readonly verifier: string;
  readonly challenge: string;
}

export function pkce(): Pkce {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export interface RegisteredClient {
  readonly client_id: string;
  readonly client_secret?: string;
  readonly redirect_uris: string[];
  readonly [key: string]: unknown;
}

/** RFC 7591 registration; fails the test unless it answers 201. */
export async function registerClient(app: FastifyInstance, metadata: Record<string, unknown>): Promise<RegisteredClient> {
  const res = await app.inject({ method: 'POST', url: '/register', headers: { 'content-type': 'application/json' }, payload: metadata });
  if (res.statusCode !== 201) throw new Error(`registration answered ${res.statusCode}: ${res.body}`);
  return res.json() as RegisteredClient;
}

export interface AuthorizeParams {
  readonly client_id: string;
  readonly redirect_uri: string;
  readonly code_challenge?: string;
  readonly code_challenge_method?: string;
  readonly scope?: string;
  readonly state?: string;
  readonly resource?: string;
  readonly response_type?: string;
  readonly [key: string]: string | undefined;
}

export function authorizeUrl(params: AuthorizeParams): string {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries({ response_type: 'code', ...params })) if (v !== undefined) query.set(k, v);
  return `/authorize?${query.toString()}`;
}

export async function get(app: FastifyInstance, jar: CookieJar, url: string): Promise<LightMyRequestResponse> {
  const res = await app.inject({ method: 'GET', url, headers: jar.header ? { cookie: jar.header } : {} });
  jar.add(res.headers['set-cookie']);
  return res;
}

export async function postForm(app: FastifyInstance, jar: CookieJar, url: string, fields: Record<string, string>, origin?: string): Promise<LightMyRequestResponse> {
  const res = await app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(jar.header ? { cookie: jar.header } : {}), ...(origin ? { origin } : {}) },
    payload: new URLSearchParams(fields).toString(),
  });
  jar.add(res.headers['set-cookie']);
  return res;
}

/** The path and query of a Location header (absolute URLs at the public origin become relative). */
export function location(res: LightMyRequestResponse): string {
  const value = res.headers.location;
  if (typeof value !== 'string') throw new Error(`expected a redirect, got ${res.statusCode}: ${res.body.slice(0, 400)}`);
  return value;
}

export function relative(url: string): string {
  const u = new URL(url, 'http://relative.invalid');
  return u.pathname + u.search;
}

/** The hidden CSRF field of the consent page. */
export function csrfFrom(html: string): string {
  const m = /name="csrf" value="([^"]+)"/.exec(html);
  if (!m) throw new Error(`no csrf field in: ${html.slice(0, 400)}`);
  return m[1]!;
}

export interface ConsentResult {
  /** Where the browser was finally sent (the client's redirect URI with code or error). */
  readonly callback: URL;
  readonly consentPage: LightMyRequestResponse;
}

/**
 * Drives one authorization through the consent page as a signed-in person would: GET /authorize, GET the
 * consent page, POST the decision, follow the redirects back until one leaves for the client.
 */
export async function authorizeWithConsent(
  app: FastifyInstance,
  jar: CookieJar,
  params: AuthorizeParams,
  answer: { decision: 'approve' | 'deny'; workspace?: string },
): Promise<ConsentResult> {
  const start = await get(app, jar, authorizeUrl(params));
  const interaction = location(start);
  if (!interaction.includes('/interaction/')) throw new Error(`authorization did not ask for consent: ${start.statusCode} ${interaction}`);
  const consentPage = await get(app, jar, relative(interaction));
  if (consentPage.statusCode !== 200) throw new Error(`consent page answered ${consentPage.statusCode}: ${consentPage.body.slice(0, 400)}`);
  const workspace = answer.workspace ?? /<option value="([^"]+)" selected/.exec(consentPage.body)?.[1] ?? '';
  const posted = await postForm(app, jar, relative(interaction), { csrf: csrfFrom(consentPage.body), decision: answer.decision, workspace });
  // Back to the authorization endpoint to resume, then on to the client (test redirect URIs never use /authorize/).
  let next = location(posted);
  for (let hops = 0; new URL(next, 'http://relative.invalid').pathname.startsWith('/authorize/'); hops++) {
    if (hops === 5) throw new Error('too many redirects');
    next = location(await get(app, jar, relative(next)));
  }
  return { callback: new URL(next), consentPage };
}

export interface TokenResponse {
  readonly access_token: string;
  readonly token_type: string;
  readonly expires_in: number;
  readonly refresh_token?: string;
  readonly scope?: string;
}

export async function tokenRequest(app: FastifyInstance, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'POST',
    url: '/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    payload: new URLSearchParams(fields).toString(),
  });
}

export function basicAuth(clientId: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

/** The claims of a JWT, unverified (tests read what a token says; the resource server checks it). */
export function jwtClaims(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

export function jwtHeader(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** The redirect URI the scripted native client registers (any loopback port is accepted at authorization). */
export const TEST_REDIRECT = 'http://127.0.0.1:43110/callback';

export interface OAuthWorld {
  readonly app: FastifyInstance;
  readonly publicUrl: string;
  /** `${publicUrl}/mcp`, the one resource. */
  readonly resource: string;
  /** A browser signed in as `email` (its Cookie header). */
  signIn(email: string): Promise<CookieJar>;
  /** A public native client registered through DCR. */
  registerNative(extra?: Record<string, unknown>): Promise<RegisteredClient>;
  /**
   * A complete authorization-code flow for `jar`'s person: consent (approve) and the code exchange. Returns
   * the token response and what was used, so a test can go on from any point.
   */
  connect(jar: CookieJar, client: RegisteredClient, opts?: { scope?: string; workspace?: string; redirect?: string }): Promise<{ tokens: TokenResponse; callback: URL; verifier: string }>;
}

export function oauthWorld(app: FastifyInstance, publicUrl: string, signInCookie: (email: string) => Promise<string>): OAuthWorld {
  const resource = `${publicUrl}/mcp`;
  const world: OAuthWorld = {
    app,
    publicUrl,
    resource,
    signIn: async (email) => new CookieJar(await signInCookie(email)),
    registerNative: (extra = {}) =>
      registerClient(app, { client_name: 'Scripted client', redirect_uris: [TEST_REDIRECT], token_endpoint_auth_method: 'none', application_type: 'native', ...extra }),
    async connect(jar, client, opts = {}) {
      const p = pkce();
      const redirect = opts.redirect ?? TEST_REDIRECT;
      const { callback } = await authorizeWithConsent(
        app,
        jar,
        { client_id: client.client_id, redirect_uri: redirect, code_challenge: p.challenge, code_challenge_method: 'S256', scope: opts.scope ?? 'memories:read memories:write offline_access', state: 'state-1', resource },
        { decision: 'approve', ...(opts.workspace ? { workspace: opts.workspace } : {}) },
      );
      const code = callback.searchParams.get('code');
      if (!code) throw new Error(`no code in ${callback.href}`);
      const res = await tokenRequest(app, { grant_type: 'authorization_code', code, redirect_uri: redirect, client_id: client.client_id, code_verifier: p.verifier, resource });
      if (res.statusCode !== 200) throw new Error(`token request answered ${res.statusCode}: ${res.body}`);
      return { tokens: res.json() as TokenResponse, callback, verifier: p.verifier };
    },
  };
  return world;
}
