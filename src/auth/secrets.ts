import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

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

const SEALED_PREFIX = 'v1.';

/**
 * AES-256-GCM with a random 96-bit nonce: `v1.<base64url(nonce ‖ tag ‖ ciphertext)>`. `context` is bound as
 * associated data, so a sealed value copied into another row (another kid, another client) fails to open.
 * For secrets Cairn must use again later (signing keys, client secrets); anything only compared is hashed.
 */
export function encrypt(key: Buffer, plaintext: string, context: string): string {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return SEALED_PREFIX + Buffer.concat([nonce, cipher.getAuthTag(), body]).toString('base64url');
}

/** Opens what `encrypt` made with the same key and context; throws on any tampering, wrong key or wrong context. */
export function decrypt(key: Buffer, sealed: string, context: string): string {
  if (!sealed.startsWith(SEALED_PREFIX)) throw new Error('not a sealed value');
  const raw = Buffer.from(sealed.slice(SEALED_PREFIX.length), 'base64url');
  if (raw.length < 28) throw new Error('sealed value is truncated');
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
  decipher.setAAD(Buffer.from(context, 'utf8'));
  decipher.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
}
