import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import type { Kysely } from 'kysely';
import type { PublicKeySource } from '../auth/oauth-tokens/ports.js';
import { decrypt, deriveKey, encrypt } from '../auth/secrets.js';
import type { Clock } from '../core/clock.js';
import type { Database } from '../storage/schema.js';

/** The private half as oidc-provider takes it in its `jwks` configuration. */
export interface PrivateSigningJwk extends JWK {
  readonly kid: string;
  readonly alg: 'ES256';
  readonly use: 'sig';
  readonly d: string;
}

/** One key as `cairn keys list-signing` shows it; never the private half. */
export interface SigningKeyInfo {
  readonly kid: string;
  readonly createdAt: number;
  readonly retiredAt: number | null;
  /** `signing`: signs new tokens; `verifying`: retired, still published; `expired`: no longer published. */
  readonly status: 'signing' | 'verifying' | 'expired';
}

export interface SigningKeyStoreOptions {
  /**
   * How long a retired key stays published (and so keeps verifying what it signed). It must exceed the
   * longest access-token lifetime plus the time instances take to notice a rotation (the authorization
   * server checks every 30 s): 15 minutes against 5-minute tokens.
   */
  readonly verifyWindowMs?: number;
}

/** Access tokens live 5 minutes; this leaves three times that for clocks and instances to catch up. */
export const DEFAULT_VERIFY_WINDOW_MS = 15 * 60_000;
/** Retired keys are deleted this long after they stopped verifying (kept a while for `list-signing`). */
const KEEP_EXPIRED_MS = 7 * 24 * 3600_000;

/**
 * The ES256 keys that sign access tokens, in the database so every instance signs and verifies with the
 * same set. The private JWK is sealed with AES-256-GCM under a key derived from the server secret, the kid
 * bound as associated data. The newest key that is not retired signs; `rotate()` adds a key and retires the
 * older ones, which stay in `publicJwks()` for the verification window. Reads go to the database every time
 * (the resource server's key ring and the authorization server each cache on their own schedule), so a
 * rotation by the CLI or another instance is seen without a restart.
 */
export class SigningKeyStore implements PublicKeySource {
  private readonly sealKey: Buffer;
  private readonly verifyWindowMs: number;
  /** Decrypted private keys by kid: the plaintext never leaves memory, and each is opened once. */
  private readonly opened = new Map<string, PrivateSigningJwk>();

  constructor(
    private readonly db: Kysely<Database>,
    secret: string,
    private readonly clock: Clock,
    options: SigningKeyStoreOptions = {},
  ) {
    this.sealKey = deriveKey(secret, 'oauth-signing-keys/v1');
    this.verifyWindowMs = options.verifyWindowMs ?? DEFAULT_VERIFY_WINDOW_MS;
  }

  /** The key that signs now; the first call on an empty database creates it. */
  async current(): Promise<PrivateSigningJwk> {
    const row = await this.newestActive();
    if (row) return this.open(row.kid, row.private_jwk);
    await this.insert(await generate(), this.clock.now());
    const created = await this.newestActive();
    if (!created) throw new Error('the signing key vanished after it was created');
    return this.open(created.kid, created.private_jwk);
  }

  /** The kid that signs now, without opening the key (for change detection); undefined when there is none yet. */
  async currentKid(): Promise<string | undefined> {
    return (await this.newestActive())?.kid;
  }

  /** Every key a token may still be signed with: the active ones and those retired within the window. */
  async publicJwks(): Promise<{ keys: JWK[] }> {
    const since = this.clock.now() - this.verifyWindowMs;
    const rows = await this.db
      .selectFrom('oauth_signing_keys')
      .select(['public_jwk'])
      .where((eb) => eb.or([eb('retired_at', 'is', null), eb('retired_at', '>', since)]))
      .orderBy('created_at', 'desc')
      .orderBy('kid', 'desc')
      .execute();
    return { keys: rows.map((r) => JSON.parse(r.public_jwk) as JWK) };
  }

  /**
   * Adds a new signing key and retires every older one (they keep verifying for the window). Two rotations
   * racing each retire only keys older than their own, so the newest key always remains active.
   */
  async rotate(): Promise<{ kid: string; retired: string[] }> {
    const key = await generate();
    const retired = await this.db.transaction().execute(async (trx) => {
      // Strictly newer than every key so far, even within one millisecond of the last one.
      const newest = await trx.selectFrom('oauth_signing_keys').select((eb) => eb.fn.max('created_at').as('at')).executeTakeFirst();
      const now = Math.max(this.clock.now(), newest?.at == null ? 0 : Number(newest.at) + 1);
      await trx.insertInto('oauth_signing_keys').values(this.row(key, now)).execute();
      const older = await trx
        .selectFrom('oauth_signing_keys')
        .select('kid')
        .where('retired_at', 'is', null)
        .where((eb) => eb.or([eb('created_at', '<', now), eb.and([eb('created_at', '=', now), eb('kid', '<', key.kid)])]))
        .execute();
      if (older.length > 0) {
        await trx
          .updateTable('oauth_signing_keys')
          .set({ retired_at: now })
          .where('kid', 'in', older.map((r) => r.kid))
          .execute();
      }
      await trx.deleteFrom('oauth_signing_keys').where('retired_at', '<', this.clock.now() - this.verifyWindowMs - KEEP_EXPIRED_MS).execute();
      return older.map((r) => r.kid);
    });
    return { kid: key.kid, retired };
  }

  async list(): Promise<SigningKeyInfo[]> {
    const rows = await this.db.selectFrom('oauth_signing_keys').select(['kid', 'created_at', 'retired_at']).orderBy('created_at', 'desc').orderBy('kid', 'desc').execute();
    const now = this.clock.now();
    const active = rows.find((r) => r.retired_at === null)?.kid;
    return rows.map((r) => {
      const retiredAt = r.retired_at === null ? null : Number(r.retired_at);
      const status = r.kid === active ? 'signing' : retiredAt === null || retiredAt > now - this.verifyWindowMs ? 'verifying' : 'expired';
      return { kid: r.kid, createdAt: Number(r.created_at), retiredAt, status };
    });
  }

  private newestActive() {
    return this.db
      .selectFrom('oauth_signing_keys')
      .select(['kid', 'private_jwk'])
      .where('retired_at', 'is', null)
      .orderBy('created_at', 'desc')
      .orderBy('kid', 'desc')
      .limit(1)
      .executeTakeFirst();
  }

  private open(kid: string, sealed: string): PrivateSigningJwk {
    let jwk = this.opened.get(kid);
    if (!jwk) {
      // A wrong CAIRN_SECRET makes this throw: the keys were sealed under another secret.
      try {
        jwk = JSON.parse(decrypt(this.sealKey, sealed, `kid:${kid}`)) as PrivateSigningJwk;
      } catch (cause) {
        throw new Error(`The OAuth signing key ${kid} cannot be decrypted: CAIRN_SECRET differs from the one it was stored under.`, { cause });
      }
      this.opened.set(kid, jwk);
    }
    return jwk;
  }

  private async insert(key: GeneratedKey, now: number): Promise<void> {
    await this.db.insertInto('oauth_signing_keys').values(this.row(key, now)).execute();
  }

  private row(key: GeneratedKey, now: number) {
    return {
      kid: key.kid,
      alg: 'ES256' as const,
      public_jwk: JSON.stringify(key.publicJwk),
      private_jwk: encrypt(this.sealKey, JSON.stringify(key.privateJwk), `kid:${key.kid}`),
      created_at: now,
      retired_at: null,
    };
  }
}

interface GeneratedKey {
  readonly kid: string;
  readonly publicJwk: JWK;
  readonly privateJwk: PrivateSigningJwk;
}

/** A P-256 key pair; the kid is its RFC 7638 thumbprint, so it names the key and nothing else. */
async function generate(): Promise<GeneratedKey> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const exported = await exportJWK(privateKey);
  const { kty, crv, x, y, d } = exported;
  const kid = await calculateJwkThumbprint({ kty, crv, x, y } as JWK);
  const publicJwk: JWK = { kty, crv, x, y, kid, alg: 'ES256', use: 'sig' };
  return { kid, publicJwk, privateJwk: { ...publicJwk, d: d!, kid, alg: 'ES256', use: 'sig' } };
}
