import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export type IdPrefix = 'usr' | 'ws' | 'app' | 'mem' | 'key' | 'req' | 'ses' | 'acc' | 'vfy';

/**
 * `mem_…`, `key_…`: a readable type prefix plus 22 base62 characters (about 131 bits), so ids are
 * unguessable handles as well as readable in logs. The first 8 characters are a time component so ids
 * created later sort later, which keeps B-tree inserts local.
 */
export function newId(prefix: IdPrefix, now = Date.now()): string {
  return `${prefix}_${encodeTime(now)}${randomBase62(14)}`;
}

function encodeTime(ms: number): string {
  let n = Math.floor(ms);
  let out = '';
  for (let i = 0; i < 8; i++) {
    out = ALPHABET[n % 62]! + out;
    n = Math.floor(n / 62);
  }
  return out;
}

/** Uniform base62 by rejection sampling (bytes ≥ 248 are dropped so every character is equally likely). */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    const bytes = randomBytes(length * 2);
    for (const b of bytes) {
      if (b >= 248) continue;
      out += ALPHABET[b % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

export const BASE62_ALPHABET = ALPHABET;
