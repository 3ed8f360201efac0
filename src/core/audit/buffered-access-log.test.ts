import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KyselyAuditStore } from '../../storage/audit-repo.js';
import { openStorage, type Storage } from '../../storage/db.js';
import { migrate } from '../../storage/migrate.js';
import { createFaultSwitch, type FaultSwitch } from '../../testing/faulty-dialect.js';
import type { AuditEvent } from './audit.js';
import { BufferedAccessLog, type BufferedAccessLogOptions } from './buffered-access-log.js';

let storage: Storage;
let faults: FaultSwitch;
let store: KyselyAuditStore;
/** Sizes of the batches handed to the real store's append, in order. */
let appends: number[];
let errors: { err: unknown; dropped: number }[];
let log: BufferedAccessLog;

beforeEach(async () => {
  faults = createFaultSwitch();
  storage = openStorage({ dialect: 'sqlite', path: ':memory:' }, { wrapDialect: faults.wrap });
  await migrate(storage);
  store = new KyselyAuditStore(storage.db);
  appends = [];
  errors = [];
});
afterEach(async () => {
  log?.stop();
  faults.up();
  await storage.close();
});

function build(options: Omit<BufferedAccessLogOptions, 'onError'>): BufferedAccessLog {
  log = new BufferedAccessLog(
    {
      append: (events) => {
        appends.push(events.length);
        return store.append(events);
      },
    },
    { ...options, onError: (err, dropped) => void errors.push({ err, dropped }) },
  );
  return log;
}

function read(n: number): AuditEvent {
  return { at: 1000 + n, workspaceId: 'ws_1', userId: 'usr_1', credentialKind: 'api_key', credentialId: 'key_1', appId: 'app_1', action: 'memory.read', targetId: `mem_${n}`, requestId: `req_${n}`, detail: null };
}

/** Targets of the stored rows, oldest first. */
async function stored(): Promise<string[]> {
  const rows = await storage.db.selectFrom('audit_log').select(['target_id']).orderBy('id').execute();
  return rows.map((r) => r.target_id ?? '');
}

/** Waits for a flush that record() may have started (flush() joins one already in flight). */
async function settle(l: BufferedAccessLog): Promise<void> {
  await l.flush().catch(() => undefined);
}

describe('BufferedAccessLog: batching', () => {
  it('writes nothing on record and everything in one append on flush', async () => {
    const l = build({ maxBuffered: 100 });
    for (let i = 1; i <= 5; i++) l.record(read(i));
    expect(await stored()).toEqual([]);
    expect(l.pending).toBe(5);

    await l.flush();
    expect(appends).toEqual([5]);
    expect(await stored()).toEqual(['mem_1', 'mem_2', 'mem_3', 'mem_4', 'mem_5']);
    expect(l.pending).toBe(0);
  });

  it('stores every field of an event', async () => {
    const l = build({ maxBuffered: 100 });
    l.record({ ...read(1), action: 'memory.search', targetId: null, detail: { results: 3 } });
    await l.flush();
    const [event] = await store.listForWorkspace('ws_1', 10);
    expect(event).toMatchObject({ ...read(1), action: 'memory.search', targetId: null, detail: { results: 3 } });
  });

  it('does nothing on flush when nothing is buffered', async () => {
    await build({ maxBuffered: 100 }).flush();
    expect(appends).toEqual([]);
  });

  it('flushes by itself when the buffer reaches maxBuffered', async () => {
    const l = build({ maxBuffered: 3 });
    l.record(read(1));
    l.record(read(2));
    expect(appends).toEqual([]);
    l.record(read(3));
    expect(appends).toEqual([3]);
    await settle(l);
    expect(await stored()).toEqual(['mem_1', 'mem_2', 'mem_3']);
  });

  it('keeps events recorded during a flush for the next one, and concurrent flushes share one append', async () => {
    const l = build({ maxBuffered: 100 });
    l.record(read(1));
    const a = l.flush();
    const b = l.flush();
    l.record(read(2));
    await Promise.all([a, b]);
    expect(appends).toEqual([1]);
    expect(l.pending).toBe(1);
    await l.flush();
    expect(await stored()).toEqual(['mem_1', 'mem_2']);
  });

  it('flushes on its interval once started', async () => {
    const l = build({ maxBuffered: 100 });
    l.record(read(1));
    l.start(20);
    await expect.poll(stored, { timeout: 2000, interval: 10 }).toEqual(['mem_1']);
  });
});

describe('BufferedAccessLog: a failed flush loses nothing', () => {
  it('keeps the events, reports the error, and writes them in order on the next flush', async () => {
    const l = build({ maxBuffered: 100 });
    l.record(read(1));
    l.record(read(2));
    faults.down();
    await expect(l.flush()).rejects.toThrow();
    expect(l.pending).toBe(2);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.dropped).toBe(0);

    l.record(read(3));
    faults.up();
    await l.flush();
    expect(await stored()).toEqual(['mem_1', 'mem_2', 'mem_3']);
    expect(l.pending).toBe(0);
  });

  it('puts a failed batch back ahead of events recorded while it was in flight', async () => {
    const l = build({ maxBuffered: 100 });
    l.record(read(1));
    faults.down();
    const failing = l.flush();
    l.record(read(2));
    await expect(failing).rejects.toThrow();
    faults.up();
    await l.flush();
    expect(await stored()).toEqual(['mem_1', 'mem_2']);
  });
});

describe('BufferedAccessLog: bounded buffer', () => {
  it('holds at most 10 × maxBuffered while the store is down, dropping and reporting the oldest', async () => {
    const l = build({ maxBuffered: 2 });
    faults.down();
    for (let i = 1; i <= 25; i++) {
      l.record(read(i));
      await settle(l);
      expect(l.pending).toBeLessThanOrEqual(20);
    }
    const dropped = errors.reduce((n, e) => n + e.dropped, 0);
    expect(dropped).toBe(5);

    faults.up();
    await l.flush();
    expect(await stored()).toEqual(Array.from({ length: 20 }, (_, i) => `mem_${i + 6}`));
  });

  it('stays within the bound when a failed in-flight batch is put back', async () => {
    const l = build({ maxBuffered: 2 });
    faults.down();
    // Synchronous records: the first automatic flush takes a batch in flight, the rest pile up behind it.
    for (let i = 1; i <= 30; i++) l.record(read(i));
    await settle(l);
    expect(l.pending).toBeLessThanOrEqual(20);

    faults.up();
    await l.flush();
    // What survives is the newest events, including over the batch that was in flight: the oldest go first.
    expect(await stored()).toEqual(Array.from({ length: 20 }, (_, i) => `mem_${i + 11}`));
    expect(errors.reduce((n, e) => n + e.dropped, 0)).toBe(10);
  });
});
