/**
 * A per-instance memo of values read from the store, each trusted for `ttlMs` after it was remembered and
 * bounded to `maxEntries` (when full it is emptied, so a flood of distinct keys costs re-reads, never
 * memory). It is how the hot path avoids a read per request for facts that change rarely: an app's access,
 * a member's role, whether a grant or client still stands. A change made on this instance is `set` at once;
 * other instances see it within `ttlMs`.
 *
 * The caller passes the time, so tests drive it with their clock. A remembered `undefined` is a value
 * ("no role"), told apart from a miss by `get` returning a box.
 */
export class TtlCache<V> {
  private readonly entries = new Map<string, { readonly value: V; readonly at: number }>();

  constructor(private readonly options: { readonly ttlMs: number; readonly maxEntries: number }) {}

  /** The value remembered for `key` less than `ttlMs` before `now`, boxed; undefined on a miss. */
  get(key: string, now: number): { readonly value: V } | undefined {
    const hit = this.entries.get(key);
    return hit && now - hit.at < this.options.ttlMs ? hit : undefined;
  }

  set(key: string, value: V, now: number): void {
    if (this.entries.size >= this.options.maxEntries) this.entries.clear();
    this.entries.set(key, { value, at: now });
  }

  /** The remembered value, or `load`'s, remembered at the time after it loaded. */
  async getOrLoad(key: string, now: () => number, load: () => Promise<V>): Promise<V> {
    const hit = this.get(key, now());
    if (hit) return hit.value;
    const value = await load();
    this.set(key, value, now());
    return value;
  }

  keys(): IterableIterator<string> {
    return this.entries.keys();
  }
}
