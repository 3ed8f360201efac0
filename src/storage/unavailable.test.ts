import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { AppError } from '../errors/app-error.js';
import { createFaultSwitch } from '../testing/faulty-dialect.js';
import { openStorage, type Storage } from './db.js';
import { migrate } from './migrate.js';
import { KyselyApiKeyStore } from './api-keys-repo.js';
import { isUnavailableError } from './unavailable.js';

const withCode = (code: string, message = 'boom') => Object.assign(new Error(message), { code });

describe('isUnavailableError: "cannot reach the database" versus "bad query"', () => {
  it.each([
    ['a refused TCP connection', withCode('ECONNREFUSED')],
    ['a reset connection', withCode('ECONNRESET')],
    ['a connect timeout', withCode('ETIMEDOUT')],
    ['an unknown host', withCode('ENOTFOUND')],
    ['a DNS lookup failure', withCode('EAI_AGAIN')],
    ['a broken pipe', withCode('EPIPE')],
    ['PostgreSQL connection failure (08006)', withCode('08006')],
    ['PostgreSQL cannot connect now (57P03)', withCode('57P03')],
    ['PostgreSQL admin shutdown (57P01)', withCode('57P01')],
    ['PostgreSQL too many connections (53300)', withCode('53300')],
    ['SQLite busy', withCode('SQLITE_BUSY')],
    ['SQLite busy with a sub-code', withCode('SQLITE_BUSY_SNAPSHOT')],
    ['SQLite I/O error', withCode('SQLITE_IOERR_WRITE')],
    ['SQLite cannot open', withCode('SQLITE_CANTOPEN')],
    ['SQLite disk full', withCode('SQLITE_FULL')],
    ['SQLite read-only', withCode('SQLITE_READONLY')],
    ['pg: a terminated connection', new Error('Connection terminated unexpectedly')],
    ['pg: a pool connect timeout', new Error('timeout exceeded when trying to connect')],
    ['pg: a pool that was ended', new Error('Cannot use a pool after calling end on the pool')],
    ['better-sqlite3: a closed database', new TypeError('The database connection is not open')],
    ['an AggregateError holding a refused connection (IPv4 and IPv6 attempts)', new AggregateError([new Error('x'), withCode('ECONNREFUSED')])],
  ])('counts %s as unavailable', (_label, err) => {
    expect(isUnavailableError(err)).toBe(true);
  });

  it.each([
    ['a unique violation', withCode('23505')],
    ['a syntax error', withCode('42601')],
    ['an undefined table', withCode('42P01')],
    ['an invalid jsonb value', withCode('22P02')],
    ['a raised exception (append-only trigger)', withCode('P0001', 'audit_log is append-only')],
    ['an SQLite constraint violation', withCode('SQLITE_CONSTRAINT_UNIQUE')],
    ['an SQLite syntax error', withCode('SQLITE_ERROR')],
    ['a plain programming error', new TypeError('x is not a function')],
    ['an AggregateError of ordinary errors', new AggregateError([new Error('a'), withCode('23505')])],
    ['a string', 'ECONNREFUSED'],
    ['null', null],
    ['undefined', undefined],
    ['a number code', { code: 8006 }],
  ])('does not count %s as unavailable', (_label, err) => {
    expect(isUnavailableError(err)).toBe(false);
  });
});

describe('withUnavailableMapping: connection failures become UNAVAILABLE at the driver boundary', () => {
  let storage: Storage | undefined;
  afterEach(async () => {
    await storage?.close();
    storage = undefined;
  });

  async function open() {
    const faults = createFaultSwitch();
    storage = openStorage({ dialect: 'sqlite', path: ':memory:' }, { wrapDialect: faults.wrap });
    await migrate(storage);
    return { storage, faults };
  }

  async function failure(p: Promise<unknown>): Promise<unknown> {
    return p.then(
      () => {
        throw new Error('expected the operation to fail');
      },
      (err: unknown) => err,
    );
  }

  it('turns a refused connection on a query into AppError UNAVAILABLE, keeping the original as the cause', async () => {
    const { storage, faults } = await open();
    faults.down();
    const err = await failure(sql`select 1`.execute(storage.db));
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('UNAVAILABLE');
    expect(((err as AppError).cause as { code?: string }).code).toBe('ECONNREFUSED');
  });

  it('maps failures in ping, in transactions and in repositories alike', async () => {
    const { storage, faults } = await open();
    faults.down();
    for (const op of [
      storage.ping(),
      storage.db.transaction().execute(async (trx) => sql`select 1`.execute(trx)),
      new KyselyApiKeyStore(storage.db).findForAuth('a'.repeat(64)),
    ]) {
      const err = await failure(op);
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).code).toBe('UNAVAILABLE');
    }
  });

  it('leaves ordinary query errors untouched, so a bug is a 500 and not a 503', async () => {
    const { storage } = await open();
    const err = await failure(sql`select * from no_such_table`.execute(storage.db));
    expect(err).not.toBeInstanceOf(AppError);
    expect((err as { code?: string }).code).toBe('SQLITE_ERROR');
    const unique = await failure(
      storage.db.insertInto('workspaces').values([
        { id: 'ws_dup', name: 'a', kind: 'shared', created_at: 1 },
        { id: 'ws_dup', name: 'b', kind: 'shared', created_at: 1 },
      ]).execute(),
    );
    expect(unique).not.toBeInstanceOf(AppError);
  });

  it('answers again once the database is back, with no reopen', async () => {
    const { storage, faults } = await open();
    faults.down();
    await expect(storage.ping()).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    faults.up();
    await expect(storage.ping()).resolves.toBeUndefined();
    const r = await sql<{ n: number }>`select 41 + 1 as n`.execute(storage.db);
    expect(r.rows[0]?.n).toBe(42);
  });

  it('turns an SQLite path that cannot be opened into UNAVAILABLE naming the path', () => {
    // A directory where the database file should be: the folder exists, the driver cannot open it.
    const path = mkdtempSync(join(tmpdir(), 'cairn-not-a-file-'));
    try {
      let err: unknown;
      try {
        openStorage({ dialect: 'sqlite', path });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).code).toBe('UNAVAILABLE');
      expect((err as AppError).message).toContain(path);
    } finally {
      rmSync(path, { recursive: true, force: true });
    }
  });
});
