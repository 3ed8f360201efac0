import { describe, expect, it } from 'vitest';
import { generateApiKey } from './api-key.js';
import { presentedKey } from './presented-key.js';

const { key } = generateApiKey();
const { key: other } = generateApiKey();

describe('presentedKey: where a key may be sent', () => {
  it('accepts Authorization: Bearer <key>, with any case of the scheme', () => {
    expect(presentedKey({ authorization: `Bearer ${key}` }, '/api/v1/memories')).toEqual({ kind: 'key', value: key });
    expect(presentedKey({ authorization: `bearer ${key}` }, '/mcp')).toEqual({ kind: 'key', value: key });
  });

  it('accepts X-API-Key: <key>, trimmed', () => {
    expect(presentedKey({ 'x-api-key': key }, '/api/v1/memories')).toEqual({ kind: 'key', value: key });
    expect(presentedKey({ 'x-api-key': `  ${key} ` }, '/api/v1/memories')).toEqual({ kind: 'key', value: key });
  });

  it('accepts the same key sent in both headers', () => {
    expect(presentedKey({ authorization: `Bearer ${key}`, 'x-api-key': key }, '/mcp')).toEqual({ kind: 'key', value: key });
  });

  it('reports a request with no credential as missing', () => {
    expect(presentedKey({}, '/api/v1/memories')).toEqual({ kind: 'missing' });
    expect(presentedKey({ 'x-api-key': '' }, '/api/v1/memories')).toEqual({ kind: 'missing' });
    expect(presentedKey({ 'x-api-key': '   ' }, '/api/v1/memories')).toEqual({ kind: 'missing' });
  });
});

describe('presentedKey: what is refused', () => {
  it.each(['api_key', 'access_token', 'apikey', 'token', 'key', 'API_KEY'])('refuses a credential in the query string (?%s=)', (param) => {
    const first = presentedKey({}, `/api/v1/memories?${param}=${key}`);
    expect(first.kind).toBe('invalid');
    // Also when it is not the first parameter, and even when a valid header is present as well.
    const later = presentedKey({ authorization: `Bearer ${key}` }, `/api/v1/memories?limit=5&${param}=${key}`);
    expect(later.kind).toBe('invalid');
    if (later.kind === 'invalid') expect(later.why).toMatch(/URL/);
  });

  it('does not mistake a parameter that merely ends in "key" for a credential', () => {
    expect(presentedKey({ authorization: `Bearer ${key}` }, '/api/v1/memories?monkey=1')).toEqual({ kind: 'key', value: key });
  });

  it('refuses two different keys in one request instead of picking one', () => {
    const result = presentedKey({ authorization: `Bearer ${key}`, 'x-api-key': other }, '/mcp');
    expect(result.kind).toBe('invalid');
    if (result.kind === 'invalid') expect(result.why).toMatch(/two different credentials/);
  });

  it('refuses a repeated X-API-Key header', () => {
    expect(presentedKey({ 'x-api-key': [key, key] }, '/mcp').kind).toBe('invalid');
  });

  it.each([`Basic ${Buffer.from(`user:${key}`).toString('base64')}`, `Token ${key}`, key, 'Bearer', 'Bearer ', `Bearer ${key} extra`])(
    'refuses the Authorization header %j',
    (authorization) => {
      const result = presentedKey({ authorization }, '/api/v1/memories');
      expect(result.kind).toBe('invalid');
      if (result.kind === 'invalid') expect(result.why).toMatch(/Bearer/);
    },
  );
});
