import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export type IdPrefix = 'usr' | 'ws' | 'app' | 'mem' | 'key' | 'req' | 'ses' | 'acc' | 'vfy' | 'inv';

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

/**
 * Bytes from the CSPRNG, drawn 4 KiB at a time: one `randomBytes` call (a system call) per request id cost
 * more than the rest of the id, and every request gets one. Node's own `randomUUID` buffers its entropy
 * the same way. Each byte is used once and never leaves this module.
 */
const POOL_SIZE = 4096;
let pool = randomBytes(POOL_SIZE);
let poolOffset = 0;

function nextRandomByte(): number {
  if (poolOffset === POOL_SIZE) {
    pool = randomBytes(POOL_SIZE);
    poolOffset = 0;
  }
  return pool[poolOffset++]!;
}

/** Uniform base62 by rejection sampling (bytes ≥ 248 are dropped so every character is equally likely). */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    const b = nextRandomByte();
    if (b < 248) out += ALPHABET[b % 62];
  }
  return out;
}

export const BASE62_ALPHABET = ALPHABET;
