import type { CompiledQuery, DatabaseConnection, Dialect, Driver, QueryResult, TransactionSettings } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock.js';
import type { Scope } from '../../core/scopes.js';
import { UserService } from '../../core/users/user-service.js';
import { AppError } from '../../errors/app-error.js';
import { KyselyApiKeyStore } from '../../storage/api-keys-repo.js';
import { openStorage, type Storage } from '../../storage/db.js';
import { migrate } from '../../storage/migrate.js';
import { KyselyAppStore, KyselyUserStore } from '../../storage/users-repo.js';
import { createFaultSwitch, type FaultSwitch } from '../../testing/faulty-dialect.js';
import { deriveKey } from '../secrets.js';
import { generateApiKey } from './api-key.js';
import { ApiKeyService } from './api-key-service.js';
import type { ApiKeyStore } from './api-key-store.js';
import { UsageRecorder } from './usage-recorder.js';
import { ApiKeyVerifier, type VerifierOptions } from './verify-api-key.js';

const PEPPER = deriveKey('verify-api-key-test-secret-0123456789abcdef', 'api-key-pepper/v1');
const TTL = 30_000;
const ALL: Scope[] = ['memories:read', 'memories:write', 'memories:delete', 'admin'];

/** Counts every statement the database driver executes, split into reads, writes and transaction control. */
function statementCounter() {
  const counts = { reads: 0, writes: 0, begins: 0 };
  const classify = (text: string) => {
    const head = text.trimStart().slice(0, 8).toLowerCase();
    if (head.startsWith('select') || head.startsWith('with')) counts.reads++;
    else if (/^(insert|update|delete|replace)/.test(head)) counts.writes++;
    else if (head.startsWith('begin')) counts.begins++;
  };
  class CountingConnection implements DatabaseConnection {
    constructor(private readonly inner: DatabaseConnection) {}
    executeQuery<R>(q: CompiledQuery): Promise<QueryResult<R>> {
      classify(q.sql);
      return this.inner.executeQuery<R>(q);
    }
    streamQuery<R>(q: CompiledQuery, chunk?: number): AsyncIterableIterator<QueryResult<R>> {
      classify(q.sql);
      return this.inner.streamQuery<R>(q, chunk);
    }
  }
  // Transaction control goes through the driver with our connection, so BEGIN is counted as well.
  class CountingDriver implements Driver {
    constructor(private readonly inner: Driver) {}
    init() {
      return this.inner.init();
    }
    async acquireConnection() {
      return new CountingConnection(await this.inner.acquireConnection());
    }
    beginTransaction(c: DatabaseConnection, s: TransactionSettings) {
      return this.inner.beginTransaction(c, s);
    }
    commitTransaction(c: DatabaseConnection) {
      return this.inner.commitTransaction(c);
    }
    rollbackTransaction(c: DatabaseConnection) {
      return this.inner.rollbackTransaction(c);
    }
    releaseConnection(c: DatabaseConnection) {
      return this.inner.releaseConnection(c);
    }
    destroy() {
      return this.inner.destroy();
    }
  }
  return {
    counts,
    reset: () => Object.assign(counts, { reads: 0, writes: 0, begins: 0 }),
    wrap: (d: Dialect): Dialect => ({
      createAdapter: () => d.createAdapter(),
      createIntrospector: (db) => d.createIntrospector(db),
      createQueryCompiler: () => d.createQueryCompiler(),
      createDriver: () => new CountingDriver(d.createDriver()),
    }),
  };
}

/** The real store, with its auth lookups counted (the wrapped object still does the work). */
function countLookups(store: ApiKeyStore): { store: ApiKeyStore; lookups: () => number } {
  let n = 0;
  const counted = Object.create(store) as ApiKeyStore;
  counted.findForAuth = (hash) => {
    n++;
    return store.findForAuth(hash);
  };
  return { store: counted, lookups: () => n };
}

let storage: Storage;
let counter: ReturnType<typeof statementCounter>;
let faults: FaultSwitch;
let clock: ManualClock;
let keyStore: KyselyApiKeyStore;
let users: UserService;

beforeEach(async () => {
  counter = statementCounter();
  faults = createFaultSwitch();
  storage = openStorage({ dialect: 'sqlite', path: ':memory:' }, { wrapDialect: (d) => faults.wrap(counter.wrap(d)) });
  await migrate(storage);
  clock = new ManualClock();
  keyStore = new KyselyApiKeyStore(storage.db);
  users = new UserService(new KyselyUserStore(storage.db), clock);
});
afterEach(async () => {
  faults.up();
  await storage.close();
});

/** One server instance's key machinery over the shared database. */
function instance(options: Partial<VerifierOptions> = {}) {
  const { store, lookups } = countLookups(keyStore);
  const usage = new UsageRecorder(keyStore);
  const verifier = new ApiKeyVerifier(store, PEPPER, usage, clock, { ttlMs: TTL, maxEntries: 100, ...options });
  const keys = new ApiKeyService(keyStore, new KyselyAppStore(storage.db), verifier, clock);
  return { verifier, usage, keys, lookups };
}

async function newOwner(email = 'ada@example.com') {
  const { user, workspace } = await users.create({ email });
  return { userId: user.id, workspaceId: workspace.id };
}

async function issue(node: ReturnType<typeof instance>, owner: { userId: string; workspaceId: string }, opts: { scopes?: Scope[]; expiresAt?: number | null; name?: string } = {}) {
  const { key, view } = await node.keys.create(owner, { name: opts.name ?? 'laptop', scopes: opts.scopes ?? ALL, expiresAt: opts.expiresAt ?? null }, { kind: 'cli', credentialId: null });
  return { key, id: view.id };
}

describe('ApiKeyVerifier: a valid key', () => {
  it('yields the principal: user, workspace, scopes, credential kind and id, app, request id', async () => {
    const node = instance();
    const owner = await newOwner();
    const { key, id } = await issue(node, owner, { scopes: ['memories:read', 'memories:write'], name: 'claude desktop' });
    const app = (await new KyselyAppStore(storage.db).list(owner.workspaceId)).find((a) => a.name === 'claude desktop');

    const result = await node.verifier.verify(key, 'req_abc');

    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.principal.userId).toBe(owner.userId);
    expect(result.principal.workspaceId).toBe(owner.workspaceId);
    expect([...result.principal.scopes].sort()).toEqual(['memories:read', 'memories:write']);
    expect(result.principal.credential).toEqual({ kind: 'api_key', id });
    expect(result.principal.appId).toBe(app?.id);
    expect(result.principal.requestId).toBe('req_abc');
  });
});

describe('ApiKeyVerifier: failures without touching the store', () => {
  it('refuses a malformed key and a checksum failure with no database statement at all', async () => {
    const node = instance();
    const { key } = await issue(node, await newOwner());
    counter.reset();
    const last = key.at(-1) === 'a' ? 'b' : 'a';

    expect(await node.verifier.verify('not a key')).toEqual({ ok: false, reason: 'MALFORMED' });
    expect(await node.verifier.verify(key.slice(0, -1))).toEqual({ ok: false, reason: 'MALFORMED' });
    expect(await node.verifier.verify(key.slice(0, -1) + last)).toEqual({ ok: false, reason: 'CHECKSUM' });

    expect(node.lookups()).toBe(0);
    expect(counter.counts).toEqual({ reads: 0, writes: 0, begins: 0 });
    expect(node.usage.pendingKeys).toBe(0);
  });
});

describe('ApiKeyVerifier: failure reasons', () => {
  it('reports a well-formed key that was never issued as NOT_FOUND', async () => {
    const node = instance();
    expect(await node.verifier.verify(generateApiKey().key)).toEqual({ ok: false, reason: 'NOT_FOUND' });
    expect(node.lookups()).toBe(1);
  });

  it('reports a revoked key as REVOKED', async () => {
    const node = instance();
    const owner = await newOwner();
    const { key, id } = await issue(node, owner);
    await node.keys.revoke(owner, id, { kind: 'cli', credentialId: null });
    expect(await node.verifier.verify(key)).toEqual({ ok: false, reason: 'REVOKED' });
  });

  it('reports a key past its expiry as EXPIRED, even while it is cached', async () => {
    const node = instance();
    const { key } = await issue(node, await newOwner(), { expiresAt: clock.now() + 60_000 });
    expect((await node.verifier.verify(key)).ok).toBe(true);
    clock.advance(59_999);
    expect((await node.verifier.verify(key)).ok).toBe(true);
    clock.advance(1);
    expect(await node.verifier.verify(key)).toEqual({ ok: false, reason: 'EXPIRED' });
  });

  it('reports the key of a disabled user as NO_ACCESS', async () => {
    const node = instance();
    const owner = await newOwner();
    const { key } = await issue(node, owner);
    await storage.db.updateTable('users').set({ disabled_at: clock.now() }).where('id', '=', owner.userId).execute();
    expect(await node.verifier.verify(key)).toEqual({ ok: false, reason: 'NO_ACCESS' });
  });

  it('reports the key of a user removed from the key’s workspace as NO_ACCESS', async () => {
    const node = instance();
    const owner = await newOwner();
    const { key } = await issue(node, owner);
    await storage.db.deleteFrom('memberships').where('user_id', '=', owner.userId).where('workspace_id', '=', owner.workspaceId).execute();
    expect(await node.verifier.verify(key)).toEqual({ ok: false, reason: 'NO_ACCESS' });
  });

  it('records usage only for successful verifications', async () => {
    const node = instance();
    const owner = await newOwner();
    const { key, id } = await issue(node, owner);
    await node.keys.revoke(owner, id, { kind: 'cli', credentialId: null });
    await node.verifier.verify(key);
    await node.verifier.verify(generateApiKey().key);
    expect(node.usage.pendingKeys).toBe(0);
  });
});

describe('ApiKeyVerifier: cache and no writes on the request path', () => {
  it('reads the store once for repeated verifications of one key', async () => {
    const node = instance();
    const { key } = await issue(node, await newOwner());
    counter.reset();
    for (let i = 0; i < 5; i++) expect((await node.verifier.verify(key)).ok).toBe(true);
    expect(node.lookups()).toBe(1);
    expect(counter.counts.reads).toBe(1);
  });

  it('writes nothing across 1,000 verifications, then one batch on UsageRecorder.flush', async () => {
    const node = instance();
    const { key, id } = await issue(node, await newOwner());
    counter.reset();

    for (let i = 0; i < 1000; i++) {
      clock.advance(1);
      expect((await node.verifier.verify(key)).ok).toBe(true);
    }
    expect(counter.counts.writes).toBe(0);
    expect(counter.counts.begins).toBe(0);

    await node.usage.flush();
    // One key used: one UPDATE, in one transaction.
    expect(counter.counts.writes).toBe(1);
    expect(counter.counts.begins).toBe(1);
    const row = await storage.db.selectFrom('api_keys').select(['usage_count', 'last_used_at']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(row).toEqual({ usage_count: 1000, last_used_at: clock.now() });
  });

  it('makes a revocation visible at once after invalidate(), without waiting for the TTL', async () => {
    const node = instance();
    const owner = await newOwner();
    const { key, id } = await issue(node, owner);
    expect((await node.verifier.verify(key)).ok).toBe(true);
    // Revoked behind the cache's back (straight through the store, as a second instance would).
    await keyStore.revoke(owner.userId, owner.workspaceId, id, clock.now(), {
      at: clock.now(), workspaceId: owner.workspaceId, userId: owner.userId, credentialKind: 'cli', credentialId: null, appId: null, action: 'key.revoke', targetId: id, requestId: null, detail: null,
    });
    expect((await node.verifier.verify(key)).ok).toBe(true);

    node.verifier.invalidate(id);
    expect(await node.verifier.verify(key)).toEqual({ ok: false, reason: 'REVOKED' });
  });

  it('sees a revocation made by another instance once the TTL has passed', async () => {
    const a = instance();
    const b = instance();
    const owner = await newOwner();
    const { key, id } = await issue(a, owner);
    expect((await a.verifier.verify(key)).ok).toBe(true);

    await b.keys.revoke(owner, id, { kind: 'cli', credentialId: null });
    expect(await b.verifier.verify(key)).toEqual({ ok: false, reason: 'REVOKED' });

    clock.advance(TTL - 1);
    expect((await a.verifier.verify(key)).ok).toBe(true); // the documented bound, not a bug
    clock.advance(1);
    expect(await a.verifier.verify(key)).toEqual({ ok: false, reason: 'REVOKED' });
    expect(a.lookups()).toBe(2);
  });

  it('reads the store on every verification when the TTL is 0', async () => {
    const node = instance({ ttlMs: 0 });
    const { key } = await issue(node, await newOwner());
    for (let i = 0; i < 3; i++) await node.verifier.verify(key);
    expect(node.lookups()).toBe(3);
    expect(node.verifier.size).toBe(0);
  });

  it('caches an unknown key briefly, so a flood of one bad key is one lookup', async () => {
    const node = instance();
    const unknown = generateApiKey().key;
    for (let i = 0; i < 10; i++) expect(await node.verifier.verify(unknown)).toEqual({ ok: false, reason: 'NOT_FOUND' });
    expect(node.lookups()).toBe(1);
  });

  it('holds at most maxEntries keys, evicting the oldest', async () => {
    const node = instance({ maxEntries: 3 });
    const owner = await newOwner();
    const keys: string[] = [];
    for (let i = 0; i < 5; i++) keys.push((await issue(node, owner, { name: `client ${i}` })).key);

    for (const key of keys) expect((await node.verifier.verify(key)).ok).toBe(true);
    for (let i = 0; i < 100; i++) await node.verifier.verify(generateApiKey().key);
    expect(node.verifier.size).toBe(3);

    const before = node.lookups();
    expect((await node.verifier.verify(keys[0]!)).ok).toBe(true);
    expect(node.lookups()).toBe(before + 1);
  });

  it('keeps the newest entries when evicting', async () => {
    const node = instance({ maxEntries: 2 });
    const owner = await newOwner();
    const [k1, k2, k3] = [await issue(node, owner, { name: 'one' }), await issue(node, owner, { name: 'two' }), await issue(node, owner, { name: 'three' })];
    for (const k of [k1, k2, k3]) await node.verifier.verify(k.key);
    const before = node.lookups();
    await node.verifier.verify(k3.key);
    await node.verifier.verify(k2.key);
    expect(node.lookups()).toBe(before);
  });
});

describe('ApiKeyVerifier: fail closed', () => {
  it('rejects with UNAVAILABLE when the store is down on a cache miss, never an ok result', async () => {
    const node = instance();
    const { key } = await issue(node, await newOwner());
    faults.down();
    await expect(node.verifier.verify(key)).rejects.toSatisfy((err: unknown) => err instanceof AppError && err.code === 'UNAVAILABLE');
    faults.up();
    expect((await node.verifier.verify(key)).ok).toBe(true);
  });

  it('rejects once a cached entry has outlived its TTL and the store is down', async () => {
    const node = instance();
    const { key } = await issue(node, await newOwner());
    expect((await node.verifier.verify(key)).ok).toBe(true);
    faults.down();
    clock.advance(TTL);
    await expect(node.verifier.verify(key)).rejects.toBeInstanceOf(AppError);
  });

  it('does not cache the failed lookup: the next attempt after recovery reads the store again', async () => {
    const node = instance();
    const { key } = await issue(node, await newOwner());
    faults.down();
    await expect(node.verifier.verify(key)).rejects.toBeInstanceOf(AppError);
    expect(node.verifier.size).toBe(0);
    faults.up();
    expect((await node.verifier.verify(key)).ok).toBe(true);
  });
});
