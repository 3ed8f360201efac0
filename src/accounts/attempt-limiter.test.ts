import { describe, expect, it } from 'vitest';
import { AttemptLimiter } from './attempt-limiter.js';

describe('AttemptLimiter', () => {
  it('allows max attempts per key per window, then says how long to wait', () => {
    let now = 1_000_000;
    const limiter = new AttemptLimiter({ max: 3, windowMs: 60_000 }, () => now);
    expect([limiter.take('a'), limiter.take('a'), limiter.take('a')].every((r) => r.allowed)).toBe(true);
    now += 15_000;
    expect(limiter.take('a')).toEqual({ allowed: false, retryAfterSeconds: 45 });
    expect(limiter.take('b')).toEqual({ allowed: true });
    now += 45_000;
    expect(limiter.take('a')).toEqual({ allowed: true });
  });

  it('keeps at most maxKeys windows, dropping the oldest', () => {
    let now = 0;
    const limiter = new AttemptLimiter({ max: 1, windowMs: 60_000, maxKeys: 2 }, () => now);
    limiter.take('first');
    now += 1;
    limiter.take('second');
    limiter.take('third');
    // "first" was dropped to make room, so it starts a fresh window; "third" is still counted.
    expect(limiter.take('first')).toEqual({ allowed: true });
    expect(limiter.take('third').allowed).toBe(false);
  });
});
