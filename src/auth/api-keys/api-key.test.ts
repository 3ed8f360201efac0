import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { BASE62_ALPHABET } from '../../core/ids.js';
import { API_KEY_LENGTH, API_KEY_PATTERN, API_KEY_PREFIX, displayPrefix, generateApiKey, parseApiKey } from './api-key.js';

// The key layout the format promises: prefix, random body, 6-character base62 CRC32 of prefix + body.
const CHECKSUM_CHARS = 6;
const randomPartOf = (key: string) => key.slice(API_KEY_PREFIX.length, -CHECKSUM_CHARS);

function decodeBase62(text: string): number {
  let n = 0;
  for (const ch of text) n = n * 62 + BASE62_ALPHABET.indexOf(ch);
  return n;
}

/** Replaces the character at `i` with a different base62 character. */
function mistype(key: string, i: number, shift = 1): string {
  const at = BASE62_ALPHABET.indexOf(key[i]!);
  const other = BASE62_ALPHABET[(at + shift) % 62]!;
  return key.slice(0, i) + other + key.slice(i + 1);
}

describe('generateApiKey: format', () => {
  it('starts with cairn_sk_ and continues in base62 only, at the documented length', () => {
    for (let i = 0; i < 200; i++) {
      const { key } = generateApiKey();
      expect(key.startsWith('cairn_sk_')).toBe(true);
      expect(key).toHaveLength(API_KEY_LENGTH);
      expect(key.slice(API_KEY_PREFIX.length)).toMatch(/^[0-9A-Za-z]+$/);
    }
  });

  it('carries at least 160 bits of randomness: every random position varies over the whole alphabet', () => {
    const keys = Array.from({ length: 4000 }, () => generateApiKey().key);
    const width = randomPartOf(keys[0]!).length;
    // Entropy counted only over positions shown to be random (not the checksum, which is derived).
    expect(width * Math.log2(62)).toBeGreaterThanOrEqual(160);
    for (let pos = 0; pos < width; pos++) {
      const seen = new Set(keys.map((k) => randomPartOf(k)[pos]));
      // 4000 draws of a uniform 62-symbol position miss a symbol with probability ~62·e^-64.5; a constant,
      // counter-like or narrowed position would show far fewer.
      expect(seen.size, `random position ${pos}`).toBe(62);
    }
  });

  it('produces distinct keys across many draws', () => {
    const keys = new Set(Array.from({ length: 20_000 }, () => generateApiKey().key));
    expect(keys.size).toBe(20_000);
  });

  it('ends in the base62 CRC32 of everything before it', () => {
    for (let i = 0; i < 100; i++) {
      const { key } = generateApiKey();
      const body = key.slice(0, -CHECKSUM_CHARS);
      expect(decodeBase62(key.slice(-CHECKSUM_CHARS))).toBe(crc32(body));
    }
  });

  it('is found by the log-redaction pattern', () => {
    const { key } = generateApiKey();
    expect(key.match(API_KEY_PATTERN)).toEqual([key]);
  });
});

describe('parseApiKey: shape and checksum, no I/O', () => {
  const { key } = generateApiKey();

  it('accepts a generated key, synchronously', () => {
    const result = parseApiKey(key);
    // A plain value, not a promise: the check cannot be waiting on a database or the network.
    expect(result).not.toBeInstanceOf(Promise);
    expect(result).toEqual({ ok: true, key });
  });

  it('refuses a key one character short or long as MALFORMED', () => {
    expect(parseApiKey(key.slice(0, -1))).toEqual({ ok: false, reason: 'MALFORMED' });
    expect(parseApiKey(key + 'a')).toEqual({ ok: false, reason: 'MALFORMED' });
    expect(parseApiKey('')).toEqual({ ok: false, reason: 'MALFORMED' });
    expect(parseApiKey(API_KEY_PREFIX)).toEqual({ ok: false, reason: 'MALFORMED' });
  });

  it.each(['-', '_', '+', '/', '=', ' ', 'é', '\n', '\u0000'])('refuses a key with %j in the body as MALFORMED', (bad) => {
    const i = API_KEY_PREFIX.length + 10;
    expect(parseApiKey(key.slice(0, i) + bad + key.slice(i + 1))).toEqual({ ok: false, reason: 'MALFORMED' });
  });

  it.each(['cairn_pk_', 'CAIRN_SK_', 'cairn-sk-', 'xxxxx_sk_', 'sk_cairn_'])('refuses the prefix %s as MALFORMED', (prefix) => {
    expect(parseApiKey(prefix + key.slice(API_KEY_PREFIX.length))).toEqual({ ok: false, reason: 'MALFORMED' });
  });

  it('refuses surrounding whitespace rather than trimming it', () => {
    expect(parseApiKey(` ${key}`).ok).toBe(false);
    expect(parseApiKey(`${key}\n`).ok).toBe(false);
  });

  it('catches every single mistyped character anywhere after the prefix, including in the checksum', () => {
    for (let i = API_KEY_PREFIX.length; i < key.length; i++) {
      for (let shift = 1; shift < 62; shift++) {
        expect(parseApiKey(mistype(key, i, shift)), `position ${i}, shift ${shift}`).toEqual({ ok: false, reason: 'CHECKSUM' });
      }
    }
  });

  it('catches two swapped neighbouring characters', () => {
    for (let i = API_KEY_PREFIX.length; i < key.length - 1; i++) {
      if (key[i] === key[i + 1]) continue;
      const swapped = key.slice(0, i) + key[i + 1] + key[i] + key.slice(i + 2);
      expect(parseApiKey(swapped).ok, `swap at ${i}`).toBe(false);
    }
  });
});

describe('displayPrefix: enough to tell keys apart, never enough to use', () => {
  it('is the start of the key and shows at most 6 of its random characters', () => {
    const { key, displayPrefix: shown } = generateApiKey();
    expect(shown).toBe(displayPrefix(key));
    expect(key.startsWith(shown)).toBe(true);
    expect(shown.length - API_KEY_PREFIX.length).toBeLessThanOrEqual(6);
  });

  it('leaves well over 128 bits of the key hidden, and is itself no usable key', () => {
    const { key, displayPrefix: shown } = generateApiKey();
    const hiddenRandom = randomPartOf(key).length - (shown.length - API_KEY_PREFIX.length);
    expect(hiddenRandom * Math.log2(62)).toBeGreaterThan(128);
    expect(parseApiKey(shown).ok).toBe(false);
    expect(shown).not.toContain(key.slice(-CHECKSUM_CHARS));
  });
});
