import { createHash } from 'node:crypto';
import { decodeProtectedHeader, errors, importJWK, jwtVerify, type JWK, type JWTPayload } from 'jose';
import type { Clock } from '../../core/clock.js';
import type { CredentialKind, Principal } from '../../core/principal.js';
import { isScope, type Scope } from '../../core/scopes.js';
import type { UserStore } from '../../core/users/user.js';
import { ACCESS_TOKEN_CLAIMS, type PublicKeySource, type TokenLiveness } from './ports.js';

export type AccessTokenFailure =
  | 'MALFORMED'
  | 'NOT_ACCESS_TOKEN'
  | 'UNSUPPORTED_ALG'
  | 'UNKNOWN_KEY'
  | 'BAD_SIGNATURE'
  | 'WRONG_ISSUER'
  | 'WRONG_AUDIENCE'
  | 'EXPIRED'
  | 'NOT_YET_VALID'
  | 'REVOKED'
  | 'NO_ACCESS';

export type AccessTokenResult = { ok: true; principal: Principal } | { ok: false; reason: AccessTokenFailure };

/** Is the token's user still allowed into the token's workspace (not disabled, still a member)? */
export interface MembershipCheck {
  isActiveMember(userId: string, workspaceId: string): Promise<boolean>;
}

/** The membership check over the user store: the same rule the API-key lookup applies in its join. */
export function membershipFromUsers(users: Pick<UserStore, 'findById' | 'roleIn'>): MembershipCheck {
  return {
    async isActiveMember(userId, workspaceId) {
      const [user, role] = await Promise.all([users.findById(userId), users.roleIn(userId, workspaceId)]);
      return user !== undefined && user.disabledAt === null && role !== undefined;
    },
  };
}

export interface AccessTokenVerifierOptions {
  /** The issuer, byte for byte: `config.http.publicUrl` (origin, no trailing slash). The audience is `${publicUrl}/mcp`. */
  readonly publicUrl: string;
  /**
   * How long a verified token is trusted before its grant (or client) and its user's membership are checked
   * again: the bound on how long a revocation made on another instance takes to reach this one. 0 = check on
   * every request.
   */
  readonly recheckMs: number;
  /** Most verified tokens kept; the oldest is dropped beyond it. */
  readonly maxEntries: number;
  /** Tolerated clock difference for exp, nbf and iat, in seconds (default 10). */
  readonly clockSkewSeconds?: number;
  /** Least time between two reloads of the public keys caused by an unknown kid (default 5 s). */
  readonly keyRefreshMs?: number;
  /** The key set is reloaded when a token must be verified and it is older than this (default 5 min). */
  readonly keysMaxAgeMs?: number;
}

interface CacheEntry {
  /** The principal without a request id; shared, never mutated. */
  readonly principal: Principal;
  /** The token is refused from this instant (exp + skew), in ms. */
  readonly expiresAt: number;
  readonly grantId: string | undefined;
  readonly clientId: string | undefined;
  checkedAt: number;
  /** A liveness re-check in flight, so a burst of requests with one token asks the store once. */
  recheck: Promise<'LIVE' | 'REVOKED' | 'NO_ACCESS'> | undefined;
}

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
/** Far beyond any token Cairn issues; longer input is refused before hashing or parsing. */
const MAX_TOKEN_LENGTH = 8192;
/** OAuth never grants `admin`: a token can reach memories, never key management. */
const TOKEN_SCOPES = new Set<string>(['memories:read', 'memories:write', 'memories:delete']);

/** Whether a bearer value is shaped like a compact JWS (`header.payload.signature`): the access-token way in. */
export function isCompactJws(value: string): boolean {
  return value.length <= MAX_TOKEN_LENGTH && COMPACT_JWS.test(value);
}

/**
 * Verifies Cairn's RFC 9068 JWT access tokens locally: no HTTP call, the signing keys come from a
 * `PublicKeySource` and are kept in memory. Checked in order: compact-JWS shape; header `typ` at+jwt, `alg`
 * ES256 (nothing else is ever accepted), a `kid` among the published keys; the signature; `iss` exactly the
 * public URL; `aud` exactly `${publicUrl}/mcp` (a token for any other resource is refused); exp, nbf and iat
 * within a small skew; Cairn's claims; then that the grant (or client-credentials client) still stands and
 * that the user is still an enabled member of the workspace.
 *
 * A verified token is cached by its SHA-256 until it expires, and its liveness is re-checked every
 * `recheckMs`, so a request with a known token costs a hash and a Map lookup, like an API key, and writes
 * nothing. Fail closed: when the key source, the liveness port or the user store cannot answer, the error
 * (AppError UNAVAILABLE from the storage layer: 503) propagates; it never becomes an allow.
 */
export class AccessTokenVerifier {
  private readonly cache = new Map<string, CacheEntry>();
  /**
   * Bumped by every forget/clear: a verification that was in flight when a grant was revoked must not put
   * its (already answered) token into the cache after the revocation emptied it.
   */
  private generation = 0;
  private readonly keys: KeyRing;
  private readonly issuer: string;
  private readonly audience: string;
  private readonly skewSeconds: number;

  constructor(
    keySource: PublicKeySource,
    private readonly liveness: TokenLiveness,
    private readonly members: MembershipCheck,
    private readonly clock: Clock,
    private readonly options: AccessTokenVerifierOptions,
  ) {
    this.issuer = options.publicUrl;
    this.audience = `${options.publicUrl}/mcp`;
    this.skewSeconds = options.clockSkewSeconds ?? 10;
    this.keys = new KeyRing(keySource, options.keyRefreshMs ?? 5000, options.keysMaxAgeMs ?? 300_000);
  }

  async verify(token: string, requestId?: string): Promise<AccessTokenResult> {
    if (!isCompactJws(token)) return { ok: false, reason: 'MALFORMED' };
    const hash = createHash('sha256').update(token).digest('base64url');
    const now = this.clock.now();
    const hit = this.cache.get(hash);
    const generation = this.generation;
    const entry = hit ?? (await this.verifyFresh(token, now));
    if (!('principal' in entry)) return entry;
    if (now >= entry.expiresAt) {
      this.cache.delete(hash);
      return { ok: false, reason: 'EXPIRED' };
    }
    if (hit && now - entry.checkedAt >= this.options.recheckMs) {
      const standing = await this.recheck(entry, now);
      if (standing !== 'LIVE') {
        this.cache.delete(hash);
        return { ok: false, reason: standing };
      }
    }
    if (!hit && this.options.recheckMs > 0 && generation === this.generation) this.remember(hash, entry);
    return { ok: true, principal: requestId ? { ...entry.principal, requestId } : entry.principal };
  }

  /**
   * Drops every cached token of a grant, so a revocation made on this instance takes effect at once (other
   * instances see it within `recheckMs`). The authorization server calls it when it revokes a grant.
   */
  forgetGrant(grantId: string): void {
    this.generation++;
    for (const [hash, entry] of this.cache) if (entry.grantId === grantId) this.cache.delete(hash);
  }

  /** The same for a client-credentials client that was deleted or disabled. */
  forgetClient(clientId: string): void {
    this.generation++;
    for (const [hash, entry] of this.cache) if (entry.clientId === clientId) this.cache.delete(hash);
  }

  /** Drops everything (for example after a user is disabled or removed from a workspace). */
  clear(): void {
    this.generation++;
    this.cache.clear();
  }

  get size(): number {
    return this.cache.size;
  }

  /** Signature, claims and liveness of a token not in the cache; a new entry (not yet stored) or a failure. */
  private async verifyFresh(token: string, now: number): Promise<CacheEntry | { ok: false; reason: AccessTokenFailure }> {
    let header: { alg?: string; typ?: string; kid?: string };
    try {
      header = decodeProtectedHeader(token);
    } catch {
      return { ok: false, reason: 'MALFORMED' };
    }
    if (header.alg !== 'ES256') return { ok: false, reason: 'UNSUPPORTED_ALG' };
    if (typeof header.typ !== 'string' || !/^(application\/)?at\+jwt$/i.test(header.typ)) return { ok: false, reason: 'NOT_ACCESS_TOKEN' };
    if (typeof header.kid !== 'string') return { ok: false, reason: 'UNKNOWN_KEY' };
    const key = await this.keys.keyFor(header.kid, now);
    if (!key) return { ok: false, reason: 'UNKNOWN_KEY' };

    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key, {
        algorithms: ['ES256'],
        typ: 'at+jwt',
        issuer: this.issuer,
        clockTolerance: this.skewSeconds,
        currentDate: new Date(now),
        requiredClaims: ['exp', 'iat', 'sub', 'jti', 'client_id'],
      }));
    } catch (err) {
      return { ok: false, reason: joseFailure(err) };
    }
    // jose accepts an `aud` array that merely contains the audience; a token for several resources could be
    // replayed at the others, so only a token for exactly this one is accepted.
    const aud = Array.isArray(payload.aud) && payload.aud.length === 1 ? payload.aud[0] : payload.aud;
    if (aud !== this.audience) return { ok: false, reason: 'WRONG_AUDIENCE' };
    if (typeof payload.iat !== 'number' || payload.iat > now / 1000 + this.skewSeconds) return { ok: false, reason: 'NOT_YET_VALID' };

    const claims = cairnClaims(payload);
    if (!claims) return { ok: false, reason: 'MALFORMED' };
    const entry: CacheEntry = {
      principal: {
        userId: claims.userId,
        workspaceId: claims.workspaceId,
        scopes: claims.scopes,
        credential: { kind: claims.kind, id: claims.grantId ?? claims.clientId! },
        appId: claims.appId,
      },
      expiresAt: ((payload.exp as number) + this.skewSeconds) * 1000,
      grantId: claims.grantId,
      clientId: claims.clientId,
      checkedAt: now,
      recheck: undefined,
    };
    const standing = await this.standing(entry);
    if (standing !== 'LIVE') return { ok: false, reason: standing };
    return entry;
  }

  /** Grant (or client) still active, and user still an enabled member; both asked at once. */
  private async standing(entry: CacheEntry): Promise<'LIVE' | 'REVOKED' | 'NO_ACCESS'> {
    const [active, member] = await Promise.all([
      entry.grantId !== undefined ? this.liveness.isGrantActive(entry.grantId) : this.liveness.isClientActive(entry.clientId!),
      this.members.isActiveMember(entry.principal.userId, entry.principal.workspaceId),
    ]);
    if (!active) return 'REVOKED';
    return member ? 'LIVE' : 'NO_ACCESS';
  }

  private recheck(entry: CacheEntry, now: number): Promise<'LIVE' | 'REVOKED' | 'NO_ACCESS'> {
    entry.recheck ??= this.standing(entry)
      .then((standing) => {
        if (standing === 'LIVE') entry.checkedAt = now;
        return standing;
      })
      .finally(() => {
        entry.recheck = undefined;
      });
    return entry.recheck;
  }

  private remember(hash: string, entry: CacheEntry): void {
    if (this.cache.size >= this.options.maxEntries) {
      // Evict the oldest insertion (Map iteration order); bounded memory whatever callers send.
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    this.cache.set(hash, entry);
  }
}

interface CairnClaims {
  readonly userId: string;
  readonly workspaceId: string;
  readonly appId: string;
  readonly scopes: ReadonlySet<Scope>;
  readonly kind: CredentialKind;
  readonly grantId: string | undefined;
  readonly clientId: string | undefined;
}

/** Cairn's own claims (ports.ts), or undefined when one is missing or mistyped, or the token is both kinds. */
function cairnClaims(payload: JWTPayload): CairnClaims | undefined {
  const text = (name: string): string | undefined => {
    const v = payload[name];
    return typeof v === 'string' && v.length > 0 ? v : undefined;
  };
  const userId = text(ACCESS_TOKEN_CLAIMS.user);
  const workspaceId = text(ACCESS_TOKEN_CLAIMS.workspace);
  const appId = text(ACCESS_TOKEN_CLAIMS.app);
  const grantId = text(ACCESS_TOKEN_CLAIMS.grant);
  const clientId = text(ACCESS_TOKEN_CLAIMS.clientCredentials);
  if (!userId || !workspaceId || !appId) return undefined;
  if ((grantId === undefined) === (clientId === undefined)) return undefined;
  if (payload.scope !== undefined && typeof payload.scope !== 'string') return undefined;
  const scopes = new Set<Scope>();
  for (const s of (payload.scope ?? '').split(' ')) if (TOKEN_SCOPES.has(s) && isScope(s)) scopes.add(s);
  return { userId, workspaceId, appId, scopes, kind: grantId !== undefined ? 'oauth_access_token' : 'client_credentials', grantId, clientId };
}

function joseFailure(err: unknown): AccessTokenFailure {
  if (err instanceof errors.JWTExpired) return 'EXPIRED';
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'BAD_SIGNATURE';
  if (err instanceof errors.JOSEAlgNotAllowed) return 'UNSUPPORTED_ALG';
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'iss') return 'WRONG_ISSUER';
    if (err.claim === 'aud') return 'WRONG_AUDIENCE';
    if (err.claim === 'nbf' || err.claim === 'iat') return 'NOT_YET_VALID';
    if (err.claim === 'typ') return 'NOT_ACCESS_TOKEN';
    return 'MALFORMED';
  }
  if (err instanceof errors.JOSEError) return 'MALFORMED';
  throw err;
}

/**
 * The public signing keys by kid, loaded from the `PublicKeySource`. An unknown kid (a key rotated in on
 * another instance) reloads the set, at most once per `refreshMs`, so tokens with made-up kids cannot turn
 * into a load on the store; the set is also reloaded when older than `maxAgeMs`, so a key withdrawn from the
 * JWKS stops verifying here too.
 */
class KeyRing {
  private keys = new Map<string, CryptoKey>();
  private loadedAt = -Infinity;
  private loading: Promise<void> | undefined;

  constructor(
    private readonly source: PublicKeySource,
    private readonly refreshMs: number,
    private readonly maxAgeMs: number,
  ) {}

  async keyFor(kid: string, now: number): Promise<CryptoKey | undefined> {
    if (now - this.loadedAt >= this.maxAgeMs) await this.load(now);
    const known = this.keys.get(kid);
    if (known || now - this.loadedAt < this.refreshMs) return known;
    await this.load(now);
    return this.keys.get(kid);
  }

  private load(now: number): Promise<void> {
    this.loading ??= this.fetch(now).finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  private async fetch(now: number): Promise<void> {
    const { keys } = await this.source.publicJwks();
    const next = new Map<string, CryptoKey>();
    for (const jwk of keys) {
      if (!isEs256VerificationKey(jwk)) continue;
      // Only the public members: a private `d` here must not turn the import into a signing key.
      next.set(jwk.kid!, (await importJWK({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }, 'ES256')) as CryptoKey);
    }
    this.keys = next;
    this.loadedAt = now;
  }
}

function isEs256VerificationKey(jwk: JWK): boolean {
  return (
    typeof jwk.kid === 'string' &&
    jwk.kty === 'EC' &&
    jwk.crv === 'P-256' &&
    typeof jwk.x === 'string' &&
    typeof jwk.y === 'string' &&
    (jwk.alg === undefined || jwk.alg === 'ES256') &&
    (jwk.use === undefined || jwk.use === 'sig')
  );
}
