import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { API_KEY_PATTERN } from '../../../auth/api-keys/api-key.js';
import { buildTestApp, type TestApp } from '../../../testing/build-test-app.js';
import type { KeyView } from '../views.js';
import type { z } from 'zod';

type Key = z.infer<typeof KeyView>;

let t: TestApp;
let admin: string;
let adminId: string;

beforeEach(async () => {
  t = await buildTestApp();
  const owner = await t.createUser('ada@example.com');
  ({ key: admin, id: adminId } = await t.createKey(owner, { name: 'admin-cli' }));
});
afterEach(async () => t.close());

async function createKey(body: unknown) {
  return t.call('POST', '/api/v1/keys', { key: admin, body });
}

async function listKeys(): Promise<Key[]> {
  const res = await t.call('GET', '/api/v1/keys', { key: admin });
  expect(res.statusCode).toBe(200);
  return (res.json() as { keys: Key[] }).keys;
}

describe('POST /v1/keys', () => {
  it('returns the new key once with cache-control: no-store, and the key works', async () => {
    const res = await createKey({ name: 'laptop claude', scopes: ['memories:read', 'memories:write'] });
    expect(res.statusCode).toBe(201);
    expect(res.headers['cache-control']).toBe('no-store');
    const { key, apiKey } = res.json() as { key: string; apiKey: Key };
    expect(key).toMatch(/^cairn_sk_[0-9A-Za-z]{36}$/);
    expect(apiKey).toMatchObject({ name: 'laptop claude', scopes: ['memories:read', 'memories:write'], status: 'active', usageCount: 0, lastUsedAt: null });
    expect(key.startsWith(apiKey.prefix)).toBe(true);

    const write = await t.call('POST', '/api/v1/memories', { key, body: { content: 'written with the new key' } });
    expect(write.statusCode).toBe(201);
    expect(write.json()).toMatchObject({ memory: { app: { name: 'laptop claude' } } });
  });

  it('limits the new key to the scopes it was given', async () => {
    const { key } = (await createKey({ name: 'reader', scopes: ['memories:read'] })).json() as { key: string };
    expect((await t.call('GET', '/api/v1/memories', { key })).statusCode).toBe(200);
    const write = await t.call('POST', '/api/v1/memories', { key, body: { content: 'nope' } });
    expect(write.statusCode).toBe(403);
    expect(write.json()).toMatchObject({ error: { code: 'INSUFFICIENT_SCOPE' } });
  });

  it('refuses an expiry in the past and an unknown scope with 400 naming the field', async () => {
    const past = await createKey({ name: 'old', scopes: ['memories:read'], expiresAt: new Date(t.clock.now() - 1000).toISOString() });
    expect(past.statusCode).toBe(400);
    expect((past.json() as { error: { message: string } }).error.message).toContain('expiresAt');
    const unknown = await createKey({ name: 'odd', scopes: ['memories:everything'] });
    expect(unknown.statusCode).toBe(400);
    expect((unknown.json() as { error: { message: string } }).error.message).toContain('scopes');
  });

  it('a key that expires stops working at its expiry time', async () => {
    const expiresAt = new Date(t.clock.now() + 60_000).toISOString();
    const { key } = (await createKey({ name: 'short lived', scopes: ['memories:read'], expiresAt })).json() as { key: string };
    expect((await t.call('GET', '/api/v1/me', { key })).statusCode).toBe(200);
    t.clock.advance(60_000);
    const res = await t.call('GET', '/api/v1/me', { key });
    expect(res.statusCode).toBe(401);
    expect((await listKeys()).find((k) => k.name === 'short lived')?.status).toBe('expired');
  });
});

describe('GET /v1/keys', () => {
  it('lists each key with its prefix and status, and never the key itself', async () => {
    const created = (await createKey({ name: 'second', scopes: ['memories:read'] })).json() as { key: string; apiKey: Key };
    const res = await t.call('GET', '/api/v1/keys', { key: admin });
    const keys = (res.json() as { keys: Key[] }).keys;
    expect(keys.map((k) => k.name).sort()).toEqual(['admin-cli', 'second']);
    for (const k of keys) {
      expect(k.status).toBe('active');
      expect(k.prefix).toMatch(/^cairn_sk_[0-9A-Za-z]{6}$/);
    }
    expect(keys.find((k) => k.id === created.apiKey.id)?.prefix).toBe(created.key.slice(0, 15));
    // No full key anywhere in the response, under any field name.
    const fullKeys = (res.body.match(API_KEY_PATTERN) ?? []).filter((s) => s.length > 15);
    expect(fullKeys).toEqual([]);
    expect(res.body).not.toContain(created.key);
    expect(res.body).not.toContain(admin);
  });
});

describe('DELETE /v1/keys/{id}', () => {
  it('revokes the key: it gets 401 at once and the list shows it revoked', async () => {
    const { key, apiKey } = (await createKey({ name: 'to revoke', scopes: ['memories:read'] })).json() as { key: string; apiKey: Key };
    expect((await t.call('GET', '/api/v1/me', { key })).statusCode).toBe(200);

    const res = await t.call('DELETE', `/api/v1/keys/${apiKey.id}`, { key: admin });
    expect(res.statusCode).toBe(204);

    const after = await t.call('GET', '/api/v1/me', { key });
    expect(after.statusCode).toBe(401);
    expect(after.json()).toMatchObject({ error: { code: 'UNAUTHENTICATED', message: 'The API key has been revoked.' } });
    expect(after.headers['www-authenticate']).toContain('error="invalid_token"');
    expect((await listKeys()).find((k) => k.id === apiKey.id)).toMatchObject({ status: 'revoked', revokedAt: new Date(t.clock.now()).toISOString() });
  });

  it('is 404 for a key id that does not exist', async () => {
    expect((await t.call('DELETE', '/api/v1/keys/key_doesnotexist', { key: admin })).statusCode).toBe(404);
  });
});

describe('POST /v1/keys/{id}/rotate', () => {
  it('issues a replacement at once while the old key keeps working until the grace period ends', async () => {
    const old = (await createKey({ name: 'rotating', scopes: ['memories:read', 'memories:write'] })).json() as { key: string; apiKey: Key };
    const res = await t.call('POST', `/api/v1/keys/${old.apiKey.id}/rotate`, { key: admin, body: { gracePeriodSeconds: 3600 } });
    expect(res.statusCode).toBe(201);
    expect(res.headers['cache-control']).toBe('no-store');
    const rotated = res.json() as { key: string; apiKey: Key; previous: Key };
    expect(rotated.key).not.toBe(old.key);
    expect(rotated.apiKey).toMatchObject({ name: 'rotating', scopes: old.apiKey.scopes, status: 'active' });
    expect(rotated.previous).toMatchObject({ id: old.apiKey.id, rotatedTo: rotated.apiKey.id, expiresAt: new Date(t.clock.now() + 3600_000).toISOString() });

    expect((await t.call('GET', '/api/v1/me', { key: rotated.key })).statusCode).toBe(200);
    expect((await t.call('GET', '/api/v1/me', { key: old.key })).statusCode).toBe(200);

    t.clock.advance(3600_000 - 1);
    expect((await t.call('GET', '/api/v1/me', { key: old.key })).statusCode).toBe(200);
    t.clock.advance(1);
    const expired = await t.call('GET', '/api/v1/me', { key: old.key });
    expect(expired.statusCode).toBe(401);
    expect(expired.json()).toMatchObject({ error: { message: 'The API key has expired.' } });
    expect((await t.call('GET', '/api/v1/me', { key: rotated.key })).statusCode).toBe(200);
  });

  it('with no grace period the old key stops at once', async () => {
    const old = (await createKey({ name: 'rotating', scopes: ['memories:read'] })).json() as { key: string; apiKey: Key };
    const rotated = (await t.call('POST', `/api/v1/keys/${old.apiKey.id}/rotate`, { key: admin, body: {} })).json() as { key: string };
    expect((await t.call('GET', '/api/v1/me', { key: old.key })).statusCode).toBe(401);
    expect((await t.call('GET', '/api/v1/me', { key: rotated.key })).statusCode).toBe(200);
  });

  it('refuses to rotate a revoked key (409)', async () => {
    const old = (await createKey({ name: 'revoked', scopes: ['memories:read'] })).json() as { apiKey: Key };
    await t.call('DELETE', `/api/v1/keys/${old.apiKey.id}`, { key: admin });
    const res = await t.call('POST', `/api/v1/keys/${old.apiKey.id}/rotate`, { key: admin, body: {} });
    expect(res.statusCode).toBe(409);
  });
});

describe('key usage', () => {
  it('shows usage counts and last use once the usage recorder has flushed', async () => {
    const { key, apiKey } = (await createKey({ name: 'counted', scopes: ['memories:read'] })).json() as { key: string; apiKey: Key };
    for (let i = 0; i < 3; i++) {
      t.clock.advance(1000);
      expect((await t.call('GET', '/api/v1/memories', { key })).statusCode).toBe(200);
    }
    const lastUse = t.clock.now();
    // Counted in memory, not per request: nothing shows before the batch is written.
    expect((await listKeys()).find((k) => k.id === apiKey.id)).toMatchObject({ usageCount: 0, lastUsedAt: null });

    await t.runtime.services.usage.flush();
    t.clock.advance(5000);
    const keys = await listKeys();
    expect(keys.find((k) => k.id === apiKey.id)).toMatchObject({ usageCount: 3, lastUsedAt: new Date(lastUse).toISOString() });
    // The admin key's own calls before the flush (one create, one list) were counted too.
    expect(keys.find((k) => k.id === adminId)!.usageCount).toBe(2);
  });
});
