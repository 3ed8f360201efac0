import { createHash } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { BASE62_ALPHABET, randomBase62 } from '../core/ids.js';

/** How long a setup link works. */
export const SETUP_LINK_TTL_MS = 60 * 60 * 1000;

/** What a setup link lets its holder do: create the first administrator, or set one user's password. */
export type SetupGrant = { readonly purpose: 'first_admin' } | { readonly purpose: 'set_password'; readonly userId: string };

export interface SetupTokenRecord {
  readonly hash: string;
  readonly grant: SetupGrant;
  readonly expiresAt: number;
  readonly createdAt: number;
}

/** Storage for setup links (src/storage/setup-tokens-repo.ts); it only ever sees token hashes. */
export interface SetupTokenStore {
  /** Stores `record` and drops the other links for the same purpose (and user): the newest link wins. */
  replace(record: SetupTokenRecord): Promise<void>;
  /** The live link with this hash, without using it up. */
  find(hash: string, now: number): Promise<SetupTokenRecord | undefined>;
  /** Deletes and returns the live link with this hash in one statement, so two uses cannot both succeed. */
  consume(hash: string, now: number): Promise<SetupTokenRecord | undefined>;
}

const TOKEN_LENGTH = 32; // base62: about 190 random bits
const TOKEN_SHAPE = new RegExp(`^[${BASE62_ALPHABET}]{${TOKEN_LENGTH}}$`);

/**
 * One-time setup links (`<public URL>/setup/<token>`): printed at the first start to create the first
 * administrator, and by `cairn user create` so a person can set a password. The token is random and shown
 * once; only its SHA-256 is stored (a fast hash is enough for a random secret, as for API keys). A link
 * works once and for an hour.
 */
export class SetupTokens {
  constructor(
    private readonly store: SetupTokenStore,
    private readonly clock: Clock,
    private readonly ttlMs = SETUP_LINK_TTL_MS,
  ) {}

  /** A new link for `grant`; earlier unused links for the same purpose (and user) stop working. */
  async issue(grant: SetupGrant): Promise<{ token: string; expiresAt: number }> {
    const token = randomBase62(TOKEN_LENGTH);
    const now = this.clock.now();
    const expiresAt = now + this.ttlMs;
    await this.store.replace({ hash: hashToken(token), grant, expiresAt, createdAt: now });
    return { token, expiresAt };
  }

  /** What the link grants, if it is well-formed, unused and not expired. */
  async peek(token: string): Promise<SetupGrant | undefined> {
    if (!TOKEN_SHAPE.test(token)) return undefined;
    return (await this.store.find(hashToken(token), this.clock.now()))?.grant;
  }

  /** Uses the link up and returns what it granted; a second call (or a concurrent one) gets undefined. */
  async consume(token: string): Promise<SetupGrant | undefined> {
    if (!TOKEN_SHAPE.test(token)) return undefined;
    return (await this.store.consume(hashToken(token), this.clock.now()))?.grant;
  }
}

/** The page a setup token opens. */
export function setupUrl(publicUrl: string, token: string): string {
  return `${publicUrl}/setup/${token}`;
}

function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
