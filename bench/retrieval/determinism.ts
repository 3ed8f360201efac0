import type { Clock } from '../../src/core/clock.js';

/**
 * Why the bench needs this: both dialects break score ties by `updated_at DESC`, then insertion order.
 * With the real clock, turns stored in the same millisecond or not would vary from run to run; a clock
 * that steps 1 ms per read gives every run the same timestamps, so the same search returns the same list.
 */

/** A clock that starts at a fixed instant and moves 1 ms each time it is read. */
export function steppingClock(start = Date.UTC(2026, 0, 1)): Clock {
  let now = start;
  return { now: () => now++ };
}
