import { FlushLoop } from '../../core/flush-loop.js';
import type { ApiKeyStore, UsageDelta } from './api-key-store.js';

export interface Logger {
  warn(obj: object, msg: string): void;
}

/**
 * Counts key usage in memory and writes it in one batch per interval (and on shutdown), so verifying a
 * key never writes to the database. A failed flush keeps the counts and retries on the next one.
 */
export class UsageRecorder {
  private pending = new Map<string, { count: number; lastUsedAt: number }>();
  private readonly loop = new FlushLoop(() => this.writePending());

  constructor(
    private readonly store: Pick<ApiKeyStore, 'applyUsage'>,
    private readonly log?: Logger,
  ) {}

  record(keyId: string, at: number): void {
    this.add(keyId, 1, at);
  }

  private add(keyId: string, count: number, at: number): void {
    const entry = this.pending.get(keyId);
    if (entry) {
      entry.count += count;
      if (at > entry.lastUsedAt) entry.lastUsedAt = at;
    } else {
      this.pending.set(keyId, { count, lastUsedAt: at });
    }
  }

  get pendingKeys(): number {
    return this.pending.size;
  }

  start(intervalMs: number): void {
    this.loop.start(intervalMs);
  }

  stop(): void {
    this.loop.stop();
  }

  /** Writes what has accumulated. Concurrent calls share one flush. */
  flush(): Promise<void> {
    return this.loop.flush();
  }

  private async writePending(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    const deltas: UsageDelta[] = [...batch].map(([keyId, v]) => ({ keyId, count: v.count, lastUsedAt: v.lastUsedAt }));
    try {
      await this.store.applyUsage(deltas);
    } catch (err) {
      // Put the counts back so nothing is lost; they go out with the next flush.
      for (const d of deltas) this.add(d.keyId, d.count, d.lastUsedAt);
      this.log?.warn({ err, keys: deltas.length }, 'could not write API key usage; will retry');
      throw err;
    }
  }
}
