import { describe, expect, it } from 'vitest';
import { TtlCache } from './ttl-cache.js';

describe('TtlCache', () => {
  it('trusts a value for exactly ttlMs, and tells a remembered undefined from a miss', () => {
    const cache = new TtlCache<string | undefined>({ ttlMs: 100, maxEntries: 10 });
    cache.set('a', 'x', 1000);
    cache.set('none', undefined, 1000);
    expect(cache.get('a', 1099)?.value).toBe('x');
    expect(cache.get('none', 1099)).toBeDefined();
    expect(cache.get('none', 1099)?.value).toBeUndefined();
    expect(cache.get('a', 1100)).toBeUndefined();
    expect(cache.get('missing', 1000)).toBeUndefined();
  });

  it('loads on a miss, remembers what it loaded and does not load again within ttlMs', async () => {
    const cache = new TtlCache<number>({ ttlMs: 100, maxEntries: 10 });
    let now = 0;
    let loads = 0;
    const load = async () => {
      loads += 1;
      now += 5; // the read takes time: the entry is dated after it
      return loads;
    };
    expect(await cache.getOrLoad('k', () => now, load)).toBe(1);
    now = 104;
    expect(await cache.getOrLoad('k', () => now, load)).toBe(1);
    now = 105;
    expect(await cache.getOrLoad('k', () => now, load)).toBe(2);
    expect(loads).toBe(2);
  });

  it('never holds more than maxEntries: full, it starts again empty', () => {
    const cache = new TtlCache<number>({ ttlMs: 1000, maxEntries: 2 });
    cache.set('a', 1, 0);
    cache.set('b', 2, 0);
    cache.set('c', 3, 0);
    expect([...cache.keys()]).toEqual(['c']);
  });
});
