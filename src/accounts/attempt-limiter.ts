/** The outcome of one attempt: allowed, or refused with how many seconds until the window resets. */
export type Attempt = { readonly allowed: true } | { readonly allowed: false; readonly retryAfterSeconds: number };

export interface AttemptLimits {
  /** Attempts allowed per key within one window. */
  readonly max: number;
  readonly windowMs: number;
  /** Keys kept at most; the oldest windows are dropped beyond it (an attacker cycling keys cannot grow memory). */
  readonly maxKeys?: number;
}

/**
 * Counts attempts per key (an email address) in fixed windows, in this process's memory. Every attempt is
 * counted before it runs, success or not, so a burst of parallel guesses cannot slip through while earlier
 * ones are still being checked. Several instances each keep their own counts (see docs/security.md).
 */
export class AttemptLimiter {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();

  constructor(
    private readonly limits: AttemptLimits,
    private readonly now: () => number = Date.now,
  ) {}

  take(key: string): Attempt {
    const now = this.now();
    const current = this.windows.get(key);
    if (!current || current.resetAt <= now) {
      this.windows.delete(key);
      this.prune(now);
      this.windows.set(key, { count: 1, resetAt: now + this.limits.windowMs });
      return { allowed: true };
    }
    if (current.count >= this.limits.max) return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((current.resetAt - now) / 1000)) };
    current.count += 1;
    return { allowed: true };
  }

  private prune(now: number): void {
    const maxKeys = this.limits.maxKeys ?? 100_000;
    if (this.windows.size < maxKeys) return;
    for (const [key, window] of this.windows) if (window.resetAt <= now) this.windows.delete(key);
    // Map iteration is insertion order: what is left beyond the cap are the oldest windows.
    for (const key of this.windows.keys()) {
      if (this.windows.size < maxKeys) break;
      this.windows.delete(key);
    }
  }
}
