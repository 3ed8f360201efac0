import type { ClientModel, Configuration, ErrorOut, KoaContextWithOIDC, Provider as OidcProvider } from 'oidc-provider';
import { errors, interactionPolicy, Provider } from './oidc.js';

type ConfigObject = Record<string, unknown>;
import { ACCESS_TOKEN_CLAIMS } from '../auth/oauth-tokens/ports.js';
import type { UserStore } from '../core/users/user.js';
import type { OAuthStore } from './adapter.js';
import type { ClientCredentialsClients } from './clients.js';
import type { OAuthGrants } from './grants.js';
import { redirectUriProblem, type ApplicationType } from './redirect-uris.js';
import { MEMORY_SCOPES } from './scopes.js';
import type { PrivateSigningJwk } from './signing-keys.js';

/** Access tokens (both grants) live 5 minutes by default: short, because the resource server verifies them offline. */
export const ACCESS_TOKEN_TTL_SECONDS = 300;
const DAY = 24 * 3600;

/** Where each endpoint lives. `/authorize`, `/token` and `/register` at the origin also serve 2025-03-26-era clients. */
export const OAUTH_ROUTES = {
  authorization: '/authorize',
  token: '/token',
  registration: '/register',
  jwks: '/jwks',
  revocation: '/revoke',
  introspection: '/introspect',
  // Disabled features still need distinct paths; none of these is routed to the provider.
  end_session: '/oauth/logout',
  userinfo: '/oauth/userinfo',
  pushed_authorization_request: '/oauth/par',
  code_verification: '/oauth/device',
  device_authorization: '/oauth/device/auth',
  backchannel_authentication: '/oauth/backchannel',
  challenge: '/oauth/challenge',
  credential: '/oauth/credential',
} as const;

/** Cookie names of the provider's own short-lived state (interaction and resume); never a Cairn login. */
export const OAUTH_COOKIES = { session: 'cairn_as_session', interaction: 'cairn_as_interaction', resume: 'cairn_as_resume' } as const;

export interface ProviderDeps {
  /** The issuer: `config.http.publicUrl`, origin only, no trailing slash, byte for byte in every document. */
  readonly publicUrl: string;
  readonly store: OAuthStore;
  readonly signingKey: PrivateSigningJwk;
  /** Keys that sign the provider's cookies (newest first). */
  readonly cookieKeys: readonly string[];
  readonly grants: OAuthGrants;
  readonly clients: ClientCredentialsClients;
  readonly users: Pick<UserStore, 'findById'>;
  /** Cairn's error page (oidc-provider calls it for errors it must not redirect). */
  readonly renderError: (ctx: KoaContextWithOIDC, out: ErrorOut, error: Error) => Promise<void>;
  /** Lifetime of access tokens (CAIRN_OAUTH_ACCESS_TOKEN_TTL_SECONDS); default 300. */
  readonly accessTokenTtlSeconds?: number;
  /** More configuration merged in (the Client ID Metadata Document support from src/oauth/cimd.ts). */
  readonly extra?: Configuration;
}

/**
 * The oidc-provider instance for one signing key: OAuth 2.1 authorization code with PKCE S256 only, RFC 8707
 * resource indicators binding RFC 9068 JWT access tokens to `${publicUrl}/mcp`, refresh tokens (rotated for
 * public clients; a reused one revokes the grant), RFC 9207 `iss`, dynamic registration, revocation,
 * introspection and client credentials. Everything it persists goes through the Kysely adapter.
 */
export function createProvider(deps: ProviderDeps): OidcProvider {
  const resource = `${deps.publicUrl}/mcp`;
  const accessTtl = deps.accessTokenTtlSeconds ?? ACCESS_TOKEN_TTL_SECONDS;
  const base: ConfigObject = {
    adapter: deps.store.adapterClass(),
    jwks: { keys: [deps.signingKey] },
    cookies: {
      names: OAUTH_COOKIES,
      keys: [...deps.cookieKeys],
      long: { httpOnly: true, sameSite: 'lax', signed: true },
      short: { httpOnly: true, sameSite: 'lax', signed: true },
    },
    routes: OAUTH_ROUTES,
    scopes: ['openid', 'offline_access', ...MEMORY_SCOPES],
    responseTypes: ['code'],
    clientAuthMethods: ['none', 'client_secret_basic', 'client_secret_post'],
    clientDefaults: {
      // A registration without application_type is native: loopback redirects then match on any port, which
      // is what the desktop and CLI clients that predate the field need (see redirect-uris.ts).
      application_type: 'native',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'ES256',
    },
    // OAuth 2.1: every authorization request names its redirect_uri, and it must match exactly.
    allowOmittingSingleRegisteredRedirectUri: false,
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      // Sender-constrained tokens would need proof checks at the resource server; Cairn's tokens are Bearer.
      dPoP: { enabled: false },
      pushedAuthorizationRequests: { enabled: false },
      rpInitiatedLogout: { enabled: false },
      userinfo: { enabled: false },
      registration: { enabled: true, initialAccessToken: false },
      revocation: { enabled: true, allowedPolicy: ownToken },
      introspection: { enabled: true, allowedPolicy: ownToken },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => resource,
        useGrantedResource: () => true,
        getResourceServerInfo: (ctx: KoaContextWithOIDC, indicator: string, client: ClientModel) => resourceServerInfo(deps, ctx, indicator, client, resource, accessTtl),
      },
    },
    extraTokenClaims: (_ctx: KoaContextWithOIDC, token: TokenLike) => cairnClaims(deps, token),
    issueRefreshToken: (_ctx: KoaContextWithOIDC, client: ClientModel) => client.grantTypeAllowed('refresh_token'),
    // Tokens follow the grant, never the provider's short browser session (revoking the grant ends them).
    expiresWithSession: () => false,
    // Every authorization goes through Cairn's consent page: the only grant used is the one just consented.
    loadExistingGrant: async (ctx: KoaContextWithOIDC & { oidc: { provider: OidcProvider } }) => {
      const grantId = ctx.oidc.result?.consent?.grantId;
      return grantId ? ctx.oidc.provider.Grant.find(grantId) : undefined;
    },
    findAccount: async (_ctx: KoaContextWithOIDC, sub: string) => {
      const user = await deps.users.findById(sub);
      // A disabled or deleted user's grants stop yielding tokens (refresh answers invalid_grant).
      if (!user || user.disabledAt !== null) return undefined;
      return { accountId: sub, claims: async () => ({ sub }) };
    },
    interactions: { url: (_ctx: KoaContextWithOIDC, interaction: { uid: string }) => `/interaction/${interaction.uid}`, policy: consentAlwaysPolicy() },
    ttl: {
      AccessToken: accessTtl,
      ClientCredentials: accessTtl,
      AuthorizationCode: 60,
      IdToken: accessTtl,
      Interaction: 30 * 60,
      // The provider's own browser session is thrown away after each authorization (see the surface).
      Session: 10 * 60,
      RefreshToken: 30 * DAY,
      Grant: 365 * DAY,
    },
    revokeGrantPolicy: () => true,
    clientBasedCORS: (_ctx: KoaContextWithOIDC, origin: string, client: ClientModel) =>
      origin !== 'null' && client.redirectUris.some((uri) => URL.parse(uri)?.origin === origin),
    extraClientMetadata: { properties: ['software_id', 'software_version'], validator: validateClientMetadata },
    renderError: deps.renderError,
  };
  return new Provider(deps.publicUrl, merge(base, deps.extra ?? {}));
}

interface TokenLike {
  readonly kind: string;
  readonly clientId: string;
  readonly grantId?: string;
  readonly accountId?: string;
}

/**
 * The one resource Cairn serves; any other indicator is `invalid_target` (RFC 8707 §2). The scopes it
 * offers a token are the memory scopes, and for a client-credentials client only those it was given: a
 * request for more is narrowed to them (RFC 6749 §3.3; the token response names the scopes granted).
 */
async function resourceServerInfo(deps: ProviderDeps, ctx: KoaContextWithOIDC, indicator: string, client: ClientModel | undefined, resource: string, accessTtl: number) {
  if (indicator !== resource) throw new errors.InvalidTarget(`the only resource served here is ${resource}`);
  let scopes: readonly string[] = MEMORY_SCOPES;
  if (ctx.oidc.params?.grant_type === 'client_credentials' && client) {
    const owner = await deps.clients.owner(client.clientId);
    scopes = owner?.scopes ?? [];
    const requested = typeof ctx.oidc.params.scope === 'string' ? ctx.oidc.params.scope.split(' ') : [];
    // A token without scopes would be refused everywhere; say so now (RFC 6749 §4.4.2).
    if (!requested.some((s) => scopes.includes(s))) throw new errors.InvalidScope(`request one or more of the scopes this client holds (${scopes.join(' ')})`);
  }
  return {
    audience: resource,
    scope: scopes.join(' '),
    accessTokenFormat: 'jwt',
    accessTokenTTL: accessTtl,
    jwt: { sign: { alg: 'ES256' } },
  };
}

/**
 * Cairn's claims (src/auth/oauth-tokens/ports.ts), looked up when each token is issued: no token is ever
 * issued for a grant that was revoked or a client that was deleted, even a moment ago.
 */
async function cairnClaims(deps: ProviderDeps, token: TokenLike): Promise<Record<string, string> | undefined> {
  const c = ACCESS_TOKEN_CLAIMS;
  if (token.kind === 'AccessToken') {
    const grant = token.grantId ? await deps.grants.active(token.grantId) : undefined;
    if (!grant || grant.userId !== token.accountId || grant.clientId !== token.clientId) throw new errors.InvalidGrant('the grant was revoked');
    await deps.grants.touch(grant.id);
    return { [c.user]: grant.userId, [c.workspace]: grant.workspaceId, [c.app]: grant.appId, [c.grant]: grant.id };
  }
  if (token.kind === 'ClientCredentials') {
    const owner = await deps.clients.owner(token.clientId);
    if (!owner) throw new errors.InvalidGrant('the client was deleted');
    await deps.clients.touch(owner.clientId);
    return { [c.user]: owner.userId, [c.workspace]: owner.workspaceId, [c.app]: owner.appId, [c.clientCredentials]: owner.clientId };
  }
  return undefined;
}

/** A client may introspect or revoke only its own tokens. */
function ownToken(_ctx: KoaContextWithOIDC, client: ClientModel, token: { clientId: string }): boolean {
  return token.clientId === client.clientId;
}

/** oidc-provider's login and consent prompts, plus: consent is asked on every authorization request. */
function consentAlwaysPolicy() {
  const policy = interactionPolicy.base();
  policy.get('consent')?.checks.add(
    new interactionPolicy.Check('cairn_consent', 'Cairn asks for consent on every authorization', 'consent_required', (ctx) => !ctx.oidc.result?.consent),
  );
  return policy;
}

/**
 * Runs for every client oidc-provider builds (registration, stored clients, Client ID Metadata Documents),
 * once per schema (on the first extra property).
 */
function validateClientMetadata(ctx: KoaContextWithOIDC | undefined, key: string, value: unknown, metadata: Record<string, unknown>): void {
  if (value !== undefined && (typeof value !== 'string' || value.length > 200)) throw new errors.InvalidClientMetadata(`${key} must be a string of at most 200 characters`);
  if (key !== 'software_id') return;
  const problem = redirectUriProblem((metadata.redirect_uris as string[] | undefined) ?? [], metadata.application_type as ApplicationType);
  if (problem) throw new errors.InvalidClientMetadata(problem);
  const grantTypes = (metadata.grant_types as string[] | undefined) ?? [];
  if (ctx?.oidc.route === 'registration' && grantTypes.includes('client_credentials')) {
    throw new errors.InvalidClientMetadata('grant_types: client_credentials clients are created by a Cairn user (POST /api/v1/oauth-clients), not registered');
  }
}

/** Merges a configuration fragment: top-level keys replace, `features` are merged one feature at a time. */
function merge(base: ConfigObject, extra: Configuration): ConfigObject {
  const more = extra as ConfigObject;
  const features = { ...(base.features as Record<string, unknown>), ...((more.features as Record<string, unknown> | undefined) ?? {}) };
  return { ...base, ...more, features };
}
