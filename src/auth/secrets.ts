import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

/**
 * Derives a purpose-bound subkey from the server secret (HKDF-SHA256), so the API-key pepper and later
 * signing or encryption keys never share bytes even though one secret is configured.
 */
export function deriveKey(secret: string, purpose: string, length = 32): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), Buffer.alloc(0), `cairn/${purpose}`, length));
}

/** HMAC-SHA256, hex. Fast on purpose: it is applied to high-entropy random secrets, never to passwords. */
export function hmacHex(key: Buffer, value: string): string {
  return createHmac('sha256', key).update(value, 'utf8').digest('hex');
}

/** Constant-time comparison of two strings (false for different lengths without comparing content). */
export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}
