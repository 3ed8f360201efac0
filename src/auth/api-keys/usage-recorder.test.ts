import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock.js';
import { UserService } from '../../core/users/user-service.js';
import { AppError } from '../../errors/app-error.js';
import { KyselyApiKeyStore } from '../../storage/api-keys-repo.js';
import { openStorage, type Storage } from '../../storage/db.js';
import { migrate } from '../../storage/migrate.js';
import { KyselyAppStore, KyselyUserStore } from '../../storage/users-repo.js';
import { createFaultSwitch, type FaultSwitch } from '../../testing/faulty-dialect.js';
import { deriveKey } from '../secrets.js';
import { ApiKeyService } from './api-key-service.js';
import type { UsageDelta } from './api-key-store.js';
import { UsageRecorder } from './usage-recorder.js';
import { ApiKeyVerifier } from './verify-api-key.js';

let storage: Storage;
let faults: FaultSwitch;
let keyStore: KyselyApiKeyStore;
let clock: ManualClock;
/** Every batch handed to the real store's applyUsage, in order. */
let batches: UsageDelta[][];
let warnings: { obj: object; msg: string }[];
let recorder: UsageRecorder;
let keyIds: string[];

beforeEach(async () => {
  faults = createFaultSwitch();
  storage = openStorage({ dialect: 'sqlite', path: ':memory:' }, { wrapDialect: faults.wrap });
  await migrate(storage);
  clock = new ManualClock();
  keyStore = new KyselyApiKeyStore(storage.db);
  batches = [];
  warnings = [];
  recorder = new UsageRecorder(
    {
      applyUsage: (deltas) => {
        batches.push([...deltas]);
        return keyStore.applyUsage(deltas);
      },
    },
    { warn: (obj, msg) => void warnings.push({ obj, msg }) },
  );
  const { user, workspace } = await new UserService(new KyselyUserStore(storage.db), clock).create({ email: 'ada@example.com' });
  const verifier = new ApiKeyVerifier(keyStore, deriveKey('usage-recorder-test-secret-0123456789abc', 'api-key-pepper/v1'), new UsageRecorder(keyStore), clock, { ttlMs: 0, maxEntries: 1 });
  const service = new ApiKeyService(keyStore, new KyselyAppStore(storage.db), verifier, clock);
  keyIds = [];
  for (const name of ['one', 'two']) {
    const { view } = await service.create({ userId: user.id, workspaceId: workspace.id }, { name, scopes: ['memories:read'] }, { kind: 'cli', credentialId: null });
    keyIds.push(view.id);
  }
});
afterEach(async () => {
  recorder.stop();
  faults.up();
  await storage.close();
});

async function usageOf(id: string) {
  return storage.db.selectFrom('api_keys').select(['usage_count', 'last_used_at']).where('id', '=', id).executeTakeFirstOrThrow();
}

describe('UsageRecorder', () => {
  it('aggregates counts per key and writes them with one applyUsage per flush', async () => {
    const [a, b] = keyIds as [string, string];
    for (let i = 0; i < 7; i++) recorder.record(a, 1000 + i);
    recorder.record(b, 500);
    expect(recorder.pendingKeys).toBe(2);

    await recorder.flush();

    expect(batches).toHaveLength(1);
    expect(batches[0]).toEqual(
      expect.arrayContaining([
        { keyId: a, count: 7, lastUsedAt: 1006 },
        { keyId: b, count: 1, lastUsedAt: 500 },
      ]),
    );
    expect(await usageOf(a)).toEqual({ usage_count: 7, last_used_at: 1006 });
    expect(await usageOf(b)).toEqual({ usage_count: 1, last_used_at: 500 });
    expect(recorder.pendingKeys).toBe(0);
  });

  it('does not call the store when nothing was recorded', async () => {
    await recorder.flush();
    expect(batches).toHaveLength(0);
  });

  it('adds to the stored counts on later flushes', async () => {
    const a = keyIds[0]!;
    recorder.record(a, 1000);
    await recorder.flush();
    recorder.record(a, 2000);
    recorder.record(a, 3000);
    await recorder.flush();
    expect(await usageOf(a)).toEqual({ usage_count: 3, last_used_at: 3000 });
  });

  it('only ever advances last_used_at, in memory and in the database', async () => {
    const a = keyIds[0]!;
    recorder.record(a, 5000);
    recorder.record(a, 4000); // recorded later, but an earlier moment
    await recorder.flush();
    expect(batches[0]).toEqual([{ keyId: a, count: 2, lastUsedAt: 5000 }]);

    // A late, older batch (another instance's, or a retried one) must not move it back.
    recorder.record(a, 1000);
    await recorder.flush();
    expect(await usageOf(a)).toEqual({ usage_count: 3, last_used_at: 5000 });
  });

  it('keeps the counts when a flush fails and writes them with the next flush: nothing lost', async () => {
    const a = keyIds[0]!;
    recorder.record(a, 1000);
    recorder.record(a, 2000);
    faults.down();

    await expect(recorder.flush()).rejects.toBeInstanceOf(AppError);
    expect(recorder.pendingKeys).toBe(1);
    expect(warnings.map((w) => w.msg)).toEqual(['could not write API key usage; will retry']);

    recorder.record(a, 3000); // traffic continues while the database is away
    faults.up();
    await recorder.flush();
    expect(await usageOf(a)).toEqual({ usage_count: 3, last_used_at: 3000 });
    expect(recorder.pendingKeys).toBe(0);
  });

  it('rolls back a partly applied batch, so a retry does not count twice', async () => {
    const [a, b] = keyIds as [string, string];
    // A trigger fails the second key's UPDATE, after the first key's UPDATE has run in the same transaction.
    await sql`CREATE TRIGGER fail_second BEFORE UPDATE OF usage_count ON api_keys WHEN new.id = ${sql.lit(b)} BEGIN SELECT RAISE(ABORT, 'injected'); END`.execute(storage.db);

    recorder.record(a, 1000);
    recorder.record(b, 1000);
    await expect(recorder.flush()).rejects.toThrow(/injected/);
    expect(await usageOf(a)).toEqual({ usage_count: 0, last_used_at: null });

    await sql`DROP TRIGGER fail_second`.execute(storage.db);
    await recorder.flush();
    expect(await usageOf(a)).toEqual({ usage_count: 1, last_used_at: 1000 });
    expect(await usageOf(b)).toEqual({ usage_count: 1, last_used_at: 1000 });
  });

  it('shares one write between concurrent flush calls', async () => {
    const a = keyIds[0]!;
    recorder.record(a, 1000);
    const first = recorder.flush();
    const second = recorder.flush();
    recorder.record(a, 2000); // arrives during the flush: belongs to the next one
    const third = recorder.flush();
    await Promise.all([first, second, third]);

    expect(batches).toHaveLength(1);
    expect(await usageOf(a)).toEqual({ usage_count: 1, last_used_at: 1000 });
    expect(recorder.pendingKeys).toBe(1);

    await recorder.flush();
    expect(batches).toHaveLength(2);
    expect(await usageOf(a)).toEqual({ usage_count: 2, last_used_at: 2000 });
  });

  it('flushes on its interval once started', async () => {
    const a = keyIds[0]!;
    recorder.record(a, 1000);
    recorder.start(20);
    await expect.poll(async () => (await usageOf(a)).usage_count, { timeout: 2000, interval: 10 }).toBe(1);
  });
});
