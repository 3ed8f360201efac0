import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { type KoaContextWithOIDC } from 'oidc-provider';

/** What the test IdP says about a person. */
export interface IdpAccount {
  readonly email: string;
  readonly emailVerified: boolean;
  readonly name?: string;
}

export interface UpstreamIdp {
  /** http://127.0.0.1:<port>, the issuer Cairn discovers through /.well-known/openid-configuration. */
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Adds (or replaces) the person who signs in at the IdP as `sub`. */
  setAccount(sub: string, account: IdpAccount): void;
  close(): Promise<void>;
}

/**
 * A real OpenID Connect provider (node-oidc-provider, the library Cairn's own authorization server uses) on
 * 127.0.0.1, with its development login and consent pages, one confidential client for Cairn, and the
 * accounts a test puts in. It signs ID tokens with keys it generates; its userinfo endpoint serves the email
 * claims, as most providers do.
 */
export async function startUpstreamIdp(opts: { redirectUri: string }): Promise<UpstreamIdp> {
  const accounts = new Map<string, IdpAccount>();
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const clientId = 'cairn-test';
  const clientSecret = 'cairn-test-client-secret-0123456789';
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const provider = new Provider(issuer, {
    jwks: { keys: [{ ...(await exportJWK(privateKey)), kid: 'test', alg: 'RS256', use: 'sig' }] },
    ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600, AuthorizationCode: 60 },
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [opts.redirectUri],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_post',
      },
    ],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    cookies: { keys: ['upstream-idp-test-cookie-key'] },
    features: { devInteractions: { enabled: true } },
    findAccount: (_ctx: KoaContextWithOIDC, sub: string) => {
      const account = accounts.get(sub);
      if (!account) return undefined;
      return {
        accountId: sub,
        claims: () => ({ sub, email: account.email, email_verified: account.emailVerified, ...(account.name ? { name: account.name } : {}) }),
      };
    },
  });
  server.on('request', provider.callback());
  return {
    issuer,
    clientId,
    clientSecret,
    setAccount: (sub, account) => accounts.set(sub, account),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
