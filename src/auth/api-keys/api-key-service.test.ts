import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock.js';
import type { Principal } from '../../core/principal.js';
import type { Scope } from '../../core/scopes.js';
import { UserService } from '../../core/users/user-service.js';
import { AppError } from '../../errors/app-error.js';
import { KyselyApiKeyStore } from '../../storage/api-keys-repo.js';
import { KyselyAuditStore } from '../../storage/audit-repo.js';
import { openStorage, type Storage } from '../../storage/db.js';
import { migrate } from '../../storage/migrate.js';
import { KyselyAppStore, KyselyUserStore } from '../../storage/users-repo.js';
import { deriveKey, hmacHex } from '../secrets.js';
import { API_KEY_PREFIX, parseApiKey } from './api-key.js';
import { ApiKeyService, MAX_GRACE_SECONDS, type KeyActor, type KeyOwner } from './api-key-service.js';
import { UsageRecorder } from './usage-recorder.js';
import { ApiKeyVerifier } from './verify-api-key.js';

const SECRET = 'api-key-service-test-secret-0123456789abcdef';
const PEPPER = deriveKey(SECRET, 'api-key-pepper/v1');
const CLI: KeyActor = { kind: 'cli', credentialId: null };
const ALL: Scope[] = ['memories:read', 'memories:write', 'memories:delete', 'admin'];
const HOUR = 3600_000;

let storage: Storage;
let clock: ManualClock;
let verifier: ApiKeyVerifier;
let service: ApiKeyService;
let audit: KyselyAuditStore;
let ada: KeyOwner;
let bob: KeyOwner;

beforeEach(async () => {
  storage = openStorage({ dialect: 'sqlite', path: ':memory:' });
  await migrate(storage);
  clock = new ManualClock();
  const keyStore = new KyselyApiKeyStore(storage.db);
  // A long TTL: anything these tests see change must come from the service invalidating the cache.
  verifier = new ApiKeyVerifier(keyStore, PEPPER, new UsageRecorder(keyStore), clock, { ttlMs: 24 * HOUR, maxEntries: 100 });
  service = new ApiKeyService(keyStore, new KyselyAppStore(storage.db), verifier, clock);
  audit = new KyselyAuditStore(storage.db);
  const users = new UserService(new KyselyUserStore(storage.db), clock);
  const a = await users.create({ email: 'ada@example.com' });
  const b = await users.create({ email: 'bob@example.com' });
  ada = { userId: a.user.id, workspaceId: a.workspace.id };
  bob = { userId: b.user.id, workspaceId: b.workspace.id };
});
afterEach(async () => storage.close());

function create(owner: KeyOwner, input: Partial<{ name: string; scopes: Scope[]; expiresAt: number | null }> = {}) {
  return service.create(owner, { name: input.name ?? 'laptop', scopes: input.scopes ?? ALL, expiresAt: input.expiresAt ?? null }, CLI);
}

async function principalFor(key: string): Promise<Principal> {
  const result = await verifier.verify(key);
  if (!result.ok) throw new Error(`expected ${key.slice(0, 15)}… to verify, got ${result.reason}`);
  return result.principal;
}

async function appError(promise: Promise<unknown>): Promise<AppError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

async function auditActions(owner: KeyOwner) {
  return (await audit.listForWorkspace(owner.workspaceId, 100)).filter((e) => e.action.startsWith('key.')).reverse();
}

describe('ApiKeyService.create: the plaintext leaves once, only an HMAC is stored', () => {
  it('returns a working key and a view that does not contain it', async () => {
    const { key, view } = await create(ada, { name: 'claude desktop', scopes: ['memories:write', 'memories:read'] });
    expect(parseApiKey(key).ok).toBe(true);
    expect(JSON.stringify(view)).not.toContain(key);
    expect(view).toMatchObject({ name: 'claude desktop', scopes: ['memories:read', 'memories:write'], status: 'active', prefix: key.slice(0, API_KEY_PREFIX.length + 6) });
    expect((await principalFor(key)).credential.id).toBe(view.id);
  });

  it('stores no plaintext, and a peppered hash rather than sha256(key)', async () => {
    const { key, view } = await create(ada);
    const row = await storage.db.selectFrom('api_keys').selectAll().where('id', '=', view.id).executeTakeFirstOrThrow();
    const secretPart = key.slice(API_KEY_PREFIX.length + 6);
    for (const value of Object.values(row)) expect(String(value)).not.toContain(secretPart);
    expect(row.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(row.hash).not.toBe(createHash('sha256').update(key).digest('hex'));
    expect(row.hash).toBe(hmacHex(PEPPER, key));
    // A different server secret gives a different hash: a stolen table is useless without the secret.
    expect(row.hash).not.toBe(hmacHex(deriveKey('another-secret-another-secret-0123456789', 'api-key-pepper/v1'), key));
  });

  it('records key.create in the audit log with who did it', async () => {
    const { view } = await create(ada, { name: 'cli key', scopes: ['memories:read'] });
    const [event] = await auditActions(ada);
    expect(event).toMatchObject({ action: 'key.create', targetId: view.id, userId: ada.userId, credentialKind: 'cli', credentialId: null, detail: { name: 'cli key', scopes: ['memories:read'] } });
  });
});

describe('ApiKeyService.create: validation', () => {
  it.each(['', '   ', 'x'.repeat(65), 'bad/name', 'line\nbreak', 'emoji 🙂', '<script>'])('refuses the name %j naming the field', async (name) => {
    const err = await appError(create(ada, { name }));
    expect(err.code).toBe('INVALID_INPUT');
    expect(err.details).toEqual({ field: 'name' });
    expect(await service.list(ada)).toEqual([]);
  });

  it('accepts a name of 64 allowed characters and trims surrounding spaces', async () => {
    const { view } = await create(ada, { name: '  Ada laptop (work) - claude@home: v1.2_x  ' });
    expect(view.name).toBe('Ada laptop (work) - claude@home: v1.2_x');
    expect((await create(ada, { name: 'é'.repeat(64) })).view.name).toHaveLength(64);
  });

  it('refuses an empty scope list', async () => {
    const err = await appError(create(ada, { scopes: [] }));
    expect(err).toMatchObject({ code: 'INVALID_INPUT', details: { field: 'scopes' } });
  });

  it('refuses an expiry that is not in the future', async () => {
    for (const expiresAt of [clock.now(), clock.now() - 1]) {
      const err = await appError(create(ada, { expiresAt }));
      expect(err).toMatchObject({ code: 'INVALID_INPUT', details: { field: 'expiresAt' } });
    }
    expect((await create(ada, { expiresAt: clock.now() + 1 })).view.expiresAt).toBe(clock.now() + 1);
  });
});

describe('ApiKeyService.list', () => {
  it('shows each key with its prefix and status, newest first, only the owner’s', async () => {
    const first = await create(ada, { name: 'first' });
    clock.advance(1000);
    const second = await create(ada, { name: 'second', expiresAt: clock.now() + HOUR });
    clock.advance(1000);
    const third = await create(ada, { name: 'third' });
    await create(bob, { name: 'bobs' });
    await service.revoke(ada, third.view.id, CLI);
    clock.advance(HOUR);

    const listed = await service.list(ada);
    expect(listed.map((k) => [k.name, k.status, k.prefix])).toEqual([
      ['third', 'revoked', third.key.slice(0, 15)],
      ['second', 'expired', second.key.slice(0, 15)],
      ['first', 'active', first.key.slice(0, 15)],
    ]);
    expect(JSON.stringify(listed)).not.toContain(first.key);
  });
});

describe('ApiKeyService.revoke', () => {
  it('stops the key at once, even though the verifier had it cached', async () => {
    const { key, view } = await create(ada);
    await principalFor(key);
    await service.revoke(ada, view.id, CLI);
    expect(await verifier.verify(key)).toEqual({ ok: false, reason: 'REVOKED' });
  });

  it('is idempotent: a second revoke succeeds and writes no second audit entry', async () => {
    const { view } = await create(ada);
    await service.revoke(ada, view.id, CLI);
    const revokedAt = (await service.list(ada))[0]?.revokedAt;
    clock.advance(5000);
    await service.revoke(ada, view.id, CLI);
    expect((await service.list(ada))[0]?.revokedAt).toBe(revokedAt);
    expect((await auditActions(ada)).map((e) => e.action)).toEqual(['key.create', 'key.revoke']);
  });

  it('answers NOT_FOUND for an unknown id and for another user’s key, which keeps working', async () => {
    const bobs = await create(bob);
    expect((await appError(service.revoke(ada, 'key_doesnotexist', CLI))).code).toBe('NOT_FOUND');
    expect((await appError(service.revoke(ada, bobs.view.id, CLI))).code).toBe('NOT_FOUND');
    expect((await verifier.verify(bobs.key)).ok).toBe(true);
    expect(await auditActions(ada)).toEqual([]);
  });
});

describe('ApiKeyService.rotate', () => {
  it('issues a replacement that works at once, with the same name, scopes and workspace', async () => {
    const old = await create(ada, { name: 'agent', scopes: ['memories:read'] });
    const { key, view, old: oldView } = await service.rotate(ada, old.view.id, 600, CLI);
    expect(key).not.toBe(old.key);
    expect(view).toMatchObject({ name: 'agent', scopes: ['memories:read'], workspaceId: ada.workspaceId, status: 'active' });
    expect(oldView.rotatedTo).toBe(view.id);
    expect((await principalFor(key)).credential.id).toBe(view.id);
  });

  it('keeps the old key working during the grace period and refuses it after', async () => {
    const old = await create(ada);
    await principalFor(old.key); // cached before the rotation
    await service.rotate(ada, old.view.id, 600, CLI);

    clock.advance(600_000 - 1);
    expect((await verifier.verify(old.key)).ok).toBe(true);
    clock.advance(1);
    expect(await verifier.verify(old.key)).toEqual({ ok: false, reason: 'EXPIRED' });
  });

  it('stops the old key at once with a grace period of 0', async () => {
    const old = await create(ada);
    await principalFor(old.key);
    const { key } = await service.rotate(ada, old.view.id, 0, CLI);
    expect(await verifier.verify(old.key)).toEqual({ ok: false, reason: 'EXPIRED' });
    expect((await verifier.verify(key)).ok).toBe(true);
  });

  it('never lengthens the old key’s life beyond its own expiry', async () => {
    const old = await create(ada, { expiresAt: clock.now() + 60_000 });
    const { old: oldView } = await service.rotate(ada, old.view.id, 3600, CLI);
    expect(oldView.expiresAt).toBe(clock.now() + 60_000);
  });

  it('refuses to rotate a revoked or expired key with CONFLICT', async () => {
    const revoked = await create(ada, { name: 'revoked' });
    await service.revoke(ada, revoked.view.id, CLI);
    expect((await appError(service.rotate(ada, revoked.view.id, 0, CLI))).code).toBe('CONFLICT');

    const expiring = await create(ada, { name: 'expiring', expiresAt: clock.now() + 1000 });
    clock.advance(1000);
    expect((await appError(service.rotate(ada, expiring.view.id, 0, CLI))).code).toBe('CONFLICT');
  });

  it('answers NOT_FOUND for an unknown id and another user’s key', async () => {
    const bobs = await create(bob);
    expect((await appError(service.rotate(ada, 'key_nope', 0, CLI))).code).toBe('NOT_FOUND');
    expect((await appError(service.rotate(ada, bobs.view.id, 0, CLI))).code).toBe('NOT_FOUND');
  });

  it.each([-1, 1.5, MAX_GRACE_SECONDS + 1, Number.NaN])('refuses a grace period of %s naming the field', async (grace) => {
    const old = await create(ada);
    const err = await appError(service.rotate(ada, old.view.id, grace, CLI));
    expect(err).toMatchObject({ code: 'INVALID_INPUT', details: { field: 'gracePeriodSeconds' } });
  });

  it('records key.rotate with the replacement in the audit log', async () => {
    const old = await create(ada);
    const { view } = await service.rotate(ada, old.view.id, 60, CLI);
    const events = await auditActions(ada);
    expect(events.map((e) => e.action)).toEqual(['key.create', 'key.rotate']);
    expect(events[1]).toMatchObject({ targetId: old.view.id, detail: { replacement: view.id, graceSeconds: 60 } });
  });
});

describe('ApiKeyService.*For: management by a credential', () => {
  it('refuses a credential without admin with INSUFFICIENT_SCOPE, for every operation', async () => {
    const worker = await create(ada, { name: 'worker', scopes: ['memories:read', 'memories:write', 'memories:delete'] });
    const p = await principalFor(worker.key);
    const attempts = [
      service.createFor(p, { name: 'escalate', scopes: ['memories:read'] }),
      service.listFor(p),
      service.revokeFor(p, worker.view.id),
      service.rotateFor(p, worker.view.id, 0),
    ];
    for (const attempt of attempts) {
      const err = await appError(attempt);
      expect(err.code).toBe('INSUFFICIENT_SCOPE');
      expect(err.details).toEqual({ requiredScopes: ['admin'] });
    }
    expect((await service.list(ada)).map((k) => [k.name, k.status])).toEqual([['worker', 'active']]);
  });

  it('lets an admin credential create a key in its own workspace and audits it as that credential', async () => {
    const admin = await create(ada, { name: 'admin', scopes: ['admin'] });
    const p = await principalFor(admin.key);
    const { key, view } = await service.createFor({ ...p, requestId: 'req_1' }, { name: 'minted', scopes: ['memories:read'] });
    const minted = await principalFor(key);
    expect(minted).toMatchObject({ userId: ada.userId, workspaceId: ada.workspaceId });
    expect([...minted.scopes]).toEqual(['memories:read']);
    const events = await auditActions(ada);
    expect(events.at(-1)).toMatchObject({ action: 'key.create', targetId: view.id, credentialKind: 'api_key', credentialId: admin.view.id, requestId: 'req_1' });
  });

  it('acts only on the caller’s own keys', async () => {
    const admin = await create(ada, { name: 'admin', scopes: ['admin'] });
    const bobs = await create(bob);
    const p = await principalFor(admin.key);
    expect((await appError(service.revokeFor(p, bobs.view.id))).code).toBe('NOT_FOUND');
    expect((await service.listFor(p)).map((k) => k.id)).toEqual([admin.view.id]);
  });

  it('bounds the new key by the caller: admin implies every scope, so an admin key may grant any of them', async () => {
    // The other half of the bound (a credential without admin mints nothing) is the INSUFFICIENT_SCOPE test above.
    const admin = await create(ada, { name: 'admin', scopes: ['admin'] });
    const p = await principalFor(admin.key);
    const { key } = await service.createFor(p, { name: 'all', scopes: ALL });
    expect([...(await principalFor(key)).scopes].sort()).toEqual([...ALL].sort());
  });
});
