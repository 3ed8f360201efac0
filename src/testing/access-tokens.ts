import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import { ACCESS_TOKEN_CLAIMS, type PublicKeySource, type TokenLiveness } from '../auth/oauth-tokens/ports.js';
import { AppError } from '../errors/app-error.js';
import type { OAuthServices } from '../oauth/oauth-services.js';
import { isMemoryScope } from '../oauth/scopes.js';
import type { SigningKeyStore } from '../oauth/signing-keys.js';
import { buildTestApp, type TestApp, type TestAppOptions } from './build-test-app.js';

/**
 * Test-side minting of RFC 9068 access tokens, shaped exactly as the contract in
 * src/auth/oauth-tokens/ports.ts describes them, so the resource server can be tested against every way a
 * token can be wrong without going through a login. Two kinds of sources: `TestSigningKeys` and
 * `TestTokenLiveness` (in memory, countable, switchable "down") for the verifier's own tests, and the
 * authorization server's real stores (`services.oauth`) for the surfaces, the matrix and the benchmark.
 */

interface SigningKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
}

/**
 * ES256 key pairs that publish their public halves as a `PublicKeySource`. It counts how often the JWKS is
 * read and can be switched "down" (reads then fail as an unreachable store does: AppError UNAVAILABLE).
 */
export class TestSigningKeys implements PublicKeySource {
  private readonly keys: SigningKey[] = [];
  fetches = 0;
  down = false;

  static async create(): Promise<TestSigningKeys> {
    const keys = new TestSigningKeys();
    await keys.add();
    return keys;
  }

  /** Adds a key (a rotation); returns its kid. The newest key signs by default. */
  async add(kid = `test-${randomUUID()}`): Promise<string> {
    this.keys.push(await generateSigningKey(kid));
    return kid;
  }

  /** Withdraws a key from the published set. */
  remove(kid: string): void {
    const i = this.keys.findIndex((k) => k.kid === kid);
    if (i >= 0) this.keys.splice(i, 1);
  }

  get currentKid(): string {
    return this.key().kid;
  }

  async publicJwks(): Promise<{ keys: JWK[] }> {
    this.fetches++;
    if (this.down) throw new AppError('UNAVAILABLE', 'signing keys unreachable (test)');
    return { keys: this.keys.map((k) => k.publicJwk) };
  }

  /** Signs `claims` with a published key (the newest unless `kid` is given). */
  sign(claims: Record<string, unknown>, header: TokenHeader = {}): Promise<string> {
    const key = this.key(header.kid);
    return signToken(key.privateKey, { kid: key.kid, ...header }, claims);
  }

  private key(kid?: string): SigningKey {
    const key = kid === undefined ? this.keys.at(-1) : this.keys.find((k) => k.kid === kid);
    if (!key) throw new Error(`no test signing key ${kid ?? '(none published)'}`);
    return key;
  }
}

export interface TokenHeader {
  readonly kid?: string;
  readonly typ?: string;
}

export async function generateSigningKey(kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' } };
}

/** A compact JWS with header `{ alg: ES256, typ: at+jwt, kid }` (typ overridable) over `claims`. */
export function signToken(privateKey: CryptoKey, header: { kid: string; typ?: string }, claims: Record<string, unknown>): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ: header.typ ?? 'at+jwt', kid: header.kid }).sign(privateKey);
}

export interface TokenSubject {
  readonly userId: string;
  readonly workspaceId: string;
  readonly appId: string;
  /** Space-separated, as issued. */
  readonly scope: string;
  /** Exactly one of these: an authorization-code grant, or a client-credentials client. */
  readonly grantId?: string;
  readonly clientId?: string;
}

/**
 * The claims the authorization server puts in an access token for `subject`, issued at `nowMs` for
 * `ttlSeconds`; `overrides` replace any of them (undefined deletes one).
 */
export function accessTokenClaims(
  publicUrl: string,
  subject: TokenSubject,
  nowMs: number,
  ttlSeconds = 600,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  const iat = Math.floor(nowMs / 1000);
  const clientId = subject.clientId ?? 'cli_test';
  const claims: Record<string, unknown> = {
    iss: publicUrl,
    aud: `${publicUrl}/mcp`,
    sub: subject.grantId !== undefined ? subject.userId : clientId,
    client_id: clientId,
    scope: subject.scope,
    jti: randomUUID(),
    iat,
    exp: iat + ttlSeconds,
    [ACCESS_TOKEN_CLAIMS.user]: subject.userId,
    [ACCESS_TOKEN_CLAIMS.workspace]: subject.workspaceId,
    [ACCESS_TOKEN_CLAIMS.app]: subject.appId,
    ...(subject.grantId !== undefined ? { [ACCESS_TOKEN_CLAIMS.grant]: subject.grantId } : { [ACCESS_TOKEN_CLAIMS.clientCredentials]: clientId }),
  };
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete claims[name];
    else claims[name] = value;
  }
  return claims;
}

/**
 * Grants and client-credentials clients held in memory: active unless revoked. Counts the questions it is
 * asked, and can be switched "down" (questions then fail as an unreachable store does).
 */
export class TestTokenLiveness implements TokenLiveness {
  private readonly revokedGrants = new Set<string>();
  private readonly inactiveClients = new Set<string>();
  asked = 0;
  down = false;

  revokeGrant(grantId: string): void {
    this.revokedGrants.add(grantId);
  }

  disableClient(clientId: string): void {
    this.inactiveClients.add(clientId);
  }

  async isGrantActive(grantId: string): Promise<boolean> {
    this.ask();
    return !this.revokedGrants.has(grantId);
  }

  async isClientActive(clientId: string): Promise<boolean> {
    this.ask();
    return !this.inactiveClients.has(clientId);
  }

  private ask(): void {
    this.asked++;
    if (this.down) throw new AppError('UNAVAILABLE', 'grants unreachable (test)');
  }
}

// ---------------------------------------------------------------------------------------------------------
// The authorization server's real stores, for tests that run the resource server against them
// ---------------------------------------------------------------------------------------------------------

/** The authorization server's signing keys, grants and client-credentials clients (services.oauth). */
export type AuthorizationStores = Pick<OAuthServices, 'keys' | 'grants' | 'clients'>;

/** Signs `claims` as the authorization server does: with the key its store signs with now. */
export async function signWithCurrentKey(keys: SigningKeyStore, claims: Record<string, unknown>): Promise<string> {
  const jwk = await keys.current();
  return signToken((await importJWK(jwk, 'ES256')) as CryptoKey, { kid: jwk.kid }, claims);
}

const TEST_ACTOR = { kind: 'cli', credentialId: null } as const;

/** Records a consented grant for `party` (what the consent page does) and returns the subject of its tokens. */
export async function recordGrant(
  stores: AuthorizationStores,
  party: { userId: string; workspaceId: string; appId: string },
  scopes: readonly string[],
  grantId = `grant_${randomUUID()}`,
): Promise<TokenSubject> {
  await stores.grants.record(
    { id: grantId, userId: party.userId, workspaceId: party.workspaceId, appId: party.appId, clientId: 'cli_test', clientName: 'Test client', scopes: scopes.filter(isMemoryScope) },
    TEST_ACTOR,
  );
  return { ...party, scope: scopes.join(' '), grantId };
}

/** Creates a client-credentials client for `owner` and returns the subject of its tokens. */
export async function createMachineClient(stores: AuthorizationStores, owner: { userId: string; workspaceId: string }, scopes: readonly string[]): Promise<TokenSubject> {
  const memory = scopes.filter(isMemoryScope);
  const { clientId, view } = await stores.clients.create(owner, { name: `machine ${randomUUID().slice(0, 8)}`, scopes: memory.length > 0 ? memory : ['memories:read'] }, TEST_ACTOR);
  return { userId: owner.userId, workspaceId: owner.workspaceId, appId: view.appId, scope: scopes.join(' '), clientId };
}

/** Revokes a grant the way "disconnect this app" does. */
export function revokeGrant(stores: AuthorizationStores, subject: TokenSubject): Promise<void> {
  return stores.grants.revoke({ userId: subject.userId }, subject.grantId!, TEST_ACTOR);
}

/** Deletes a client-credentials client. */
export function deleteMachineClient(stores: AuthorizationStores, subject: TokenSubject): Promise<void> {
  return stores.clients.delete({ userId: subject.userId, workspaceId: subject.workspaceId }, subject.clientId!, TEST_ACTOR);
}

/** A test app and the authorization server's stores its resource server verifies access tokens against. */
export async function buildOAuthTestApp(options: TestAppOptions = {}): Promise<{ t: TestApp; stores: AuthorizationStores }> {
  const t = await buildTestApp(options);
  return { t, stores: t.runtime.services.oauth };
}
