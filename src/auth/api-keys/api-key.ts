import { crc32 } from 'node:zlib';
import { BASE62_ALPHABET, randomBase62 } from '../../core/ids.js';

export const API_KEY_PREFIX = 'cairn_sk_';
/** 30 base62 characters = 178 bits of randomness (the issue asks for at least 160). */
const RANDOM_LENGTH = 30;
/** CRC32 (32 bits) fits in 6 base62 characters (62^6 ≈ 5.7e10 > 2^32). */
const CHECKSUM_LENGTH = 6;
export const API_KEY_LENGTH = API_KEY_PREFIX.length + RANDOM_LENGTH + CHECKSUM_LENGTH;
const SHAPE = new RegExp(`^${API_KEY_PREFIX}[0-9A-Za-z]{${RANDOM_LENGTH + CHECKSUM_LENGTH}}$`);

/**
 * Cairn's API key: `cairn_sk_` + 30 random base62 + a 6-character base62 CRC32 of everything before it.
 * The fixed prefix lets secret scanners find leaked keys; the checksum lets them, and the server, reject
 * a mistyped or truncated key without a database lookup.
 */
export function generateApiKey(): { key: string; displayPrefix: string } {
  const body = API_KEY_PREFIX + randomBase62(RANDOM_LENGTH);
  const key = body + checksumOf(body);
  return { key, displayPrefix: displayPrefix(key) };
}

export type ParsedKey = { ok: true; key: string } | { ok: false; reason: 'MALFORMED' | 'CHECKSUM' };

/** Checks shape and checksum only: no I/O, so garbage costs nothing. */
export function parseApiKey(presented: string): ParsedKey {
  if (presented.length !== API_KEY_LENGTH || !SHAPE.test(presented)) return { ok: false, reason: 'MALFORMED' };
  const body = presented.slice(0, -CHECKSUM_LENGTH);
  if (checksumOf(body) !== presented.slice(-CHECKSUM_LENGTH)) return { ok: false, reason: 'CHECKSUM' };
  return { ok: true, key: presented };
}

/** What lists show: enough to tell keys apart, far too little to use. */
export function displayPrefix(key: string): string {
  return key.slice(0, API_KEY_PREFIX.length + 6);
}

/** Finds anything that looks like a Cairn key in free text (for log redaction). */
export const API_KEY_PATTERN = /cairn_sk_[0-9A-Za-z]+/g;

function checksumOf(body: string): string {
  let n = crc32(body);
  let out = '';
  for (let i = 0; i < CHECKSUM_LENGTH; i++) {
    out = BASE62_ALPHABET[n % 62]! + out;
    n = Math.floor(n / 62);
  }
  return out;
}
