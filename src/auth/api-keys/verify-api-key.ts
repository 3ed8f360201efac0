import type { Clock } from '../../core/clock.js';
import type { Principal } from '../../core/principal.js';
import type { Scope } from '../../core/scopes.js';
import { hmacHex } from '../secrets.js';
import { parseApiKey } from './api-key.js';
import type { ApiKeyAuthRecord, ApiKeyStore } from './api-key-store.js';
import type { UsageRecorder } from './usage-recorder.js';

export type VerifyFailure = 'MALFORMED' | 'CHECKSUM' | 'NOT_FOUND' | 'REVOKED' | 'EXPIRED' | 'NO_ACCESS';
export type VerifyResult = { ok: true; principal: Principal } | { ok: false; reason: VerifyFailure };

interface CacheEntry {
  /** Undefined = the hash is unknown (a short negative entry). */
  readonly record: ApiKeyAuthRecord | undefined;
  readonly cachedAt: number;
}

export interface VerifierOptions {
  /** How long a looked-up record is trusted before it is read again (cross-instance revocation bound). */
  readonly ttlMs: number;
  readonly maxEntries: number;
}

/**
 * Verifies presented API keys. The hot path is: shape + checksum (no I/O), HMAC of the key with the
 * pepper, a Map lookup, and clock checks; the store is read only on a cache miss. Nothing is written per
 * request: usage is counted in memory and flushed in batches by the `UsageRecorder`.
 *
 * Fail closed: if the store cannot be reached on a miss, the error propagates (503), never an allow.
 */
export class ApiKeyVerifier {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly hashById = new Map<string, string>();

  constructor(
    private readonly store: ApiKeyStore,
    private readonly pepper: Buffer,
    private readonly usage: UsageRecorder,
    private readonly clock: Clock,
    private readonly options: VerifierOptions,
  ) {}

  /** The stored form of a key: HMAC-SHA256(pepper, key), hex. */
  hash(key: string): string {
    return hmacHex(this.pepper, key);
  }

  async verify(presented: string, requestId?: string): Promise<VerifyResult> {
    const parsed = parseApiKey(presented);
    if (!parsed.ok) return { ok: false, reason: parsed.reason };
    const hash = this.hash(parsed.key);
    const now = this.clock.now();
    const record = await this.lookup(hash, now);
    if (!record) return { ok: false, reason: 'NOT_FOUND' };
    if (record.revokedAt !== null && record.revokedAt <= now) return { ok: false, reason: 'REVOKED' };
    if (record.expiresAt !== null && record.expiresAt <= now) return { ok: false, reason: 'EXPIRED' };
    if (record.userDisabledAt !== null || record.role === undefined) return { ok: false, reason: 'NO_ACCESS' };
    this.usage.record(record.id, now);
    return {
      ok: true,
      principal: {
        userId: record.userId,
        workspaceId: record.workspaceId,
        scopes: new Set<Scope>(record.scopes),
        credential: { kind: 'api_key', id: record.id },
        appId: record.appId,
        ...(requestId ? { requestId } : {}),
      },
    };
  }

  /** Drops a key from the cache (after revoke or rotate), so this instance sees the change at once. */
  invalidate(keyId: string): void {
    const hash = this.hashById.get(keyId);
    if (hash !== undefined) this.cache.delete(hash);
    this.hashById.delete(keyId);
  }

  /** Drops everything (for example after a user is disabled). */
  clear(): void {
    this.cache.clear();
    this.hashById.clear();
  }

  get size(): number {
    return this.cache.size;
  }

  private async lookup(hash: string, now: number): Promise<ApiKeyAuthRecord | undefined> {
    const hit = this.cache.get(hash);
    if (hit && now - hit.cachedAt < this.options.ttlMs) return hit.record;
    const record = await this.store.findForAuth(hash);
    if (this.options.ttlMs > 0) this.remember(hash, record, now);
    return record;
  }

  private remember(hash: string, record: ApiKeyAuthRecord | undefined, now: number): void {
    this.cache.delete(hash);
    if (this.cache.size >= this.options.maxEntries) {
      // Evict the oldest insertion (Map iteration order); bounded memory whatever callers send.
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) {
        const evicted = this.cache.get(oldest);
        this.cache.delete(oldest);
        if (evicted?.record) this.hashById.delete(evicted.record.id);
      }
    }
    this.cache.set(hash, { record, cachedAt: now });
    if (record) this.hashById.set(record.id, hash);
  }
}
