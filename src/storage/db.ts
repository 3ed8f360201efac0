import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql, type Dialect } from 'kysely';
import pg from 'pg';
import type { DatabaseConfig } from '../config/schema.js';
import { AppError } from '../errors/app-error.js';
import { postgresDialect } from './dialects/postgres.js';
import { sqliteDialect } from './dialects/sqlite.js';
import type { StorageDialect } from './dialects/dialect.js';
import type { Database } from './schema.js';
import { withUnavailableMapping } from './unavailable.js';

export interface Storage {
  readonly db: Kysely<Database>;
  readonly dialect: StorageDialect;
  /** The better-sqlite3 handle on SQLite (vectors-repo.ts loads the sqlite-vec extension into it); absent on PostgreSQL. */
  readonly sqlite?: BetterSqlite3.Database;
  /** `select 1` against the database; throws `UNAVAILABLE` when it cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Wraps the Kysely dialect (tests use it to inject faults at the driver boundary). */
  readonly wrapDialect?: (dialect: Dialect) => Dialect;
  /** Called with errors from idle PostgreSQL connections, which would otherwise crash the process. */
  readonly onPoolError?: (err: Error) => void;
}

/** Opens the configured database. The only place that constructs a driver. */
export function openStorage(config: DatabaseConfig, options: OpenOptions = {}): Storage {
  const wrap = (d: Dialect) => withUnavailableMapping(options.wrapDialect ? options.wrapDialect(d) : d);
  if (config.dialect === 'sqlite') {
    if (config.path !== ':memory:') mkdirSync(dirname(config.path), { recursive: true });
    let raw: BetterSqlite3.Database;
    try {
      raw = new BetterSqlite3(config.path);
    } catch (err) {
      throw new AppError('UNAVAILABLE', `Cannot open the SQLite database at ${config.path}: ${(err as Error).message}`, undefined, { cause: err });
    }
    raw.pragma('journal_mode = WAL');
    raw.pragma('synchronous = NORMAL');
    raw.pragma('foreign_keys = ON');
    raw.pragma('busy_timeout = 5000');
    // A 64 MiB page cache (the default is 2 MiB): a search at 100k memories reads a few thousand
    // full-text and memory rows at random, and re-reading them from the OS doubled its time.
    raw.pragma('cache_size = -65536');
    // Planner statistics, as SQLite advises for long-lived connections: at open, then periodically.
    // Without them the planner takes `workspace_id = ?` for selective and drives a search from every
    // memory of the workspace instead of from the full-text matches: 70 ms per search at 100k memories
    // even when nothing matches, 0.2 ms with them (bench/search-latency.ts).
    raw.pragma('optimize = 0x10002');
    const optimizer = setInterval(() => {
      try {
        raw.pragma('optimize');
      } catch {
        // Statistics are an optimisation; a busy or failing database is reported by the queries themselves.
      }
    }, 60 * 60_000);
    optimizer.unref();
    const db = new Kysely<Database>({ dialect: wrap(new SqliteDialect({ database: raw })) });
    return {
      db,
      dialect: sqliteDialect(raw),
      sqlite: raw,
      ping: async () => {
        await sql`select 1`.execute(db);
      },
      close: () => {
        clearInterval(optimizer);
        return db.destroy();
      },
    };
  }
  const pool = new pg.Pool({
    connectionString: config.url,
    max: config.poolSize,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
    // bigint (int8) columns hold millisecond timestamps and counts, all far below 2^53.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
    },
  });
  pool.on('error', (err) => options.onPoolError?.(err));
  // The pool listens for errors only on idle clients. A connection lost while a client is checked out
  // fails that client's query (which reaches the caller as UNAVAILABLE) and then emits 'error' on the
  // client; without a listener that event is an uncaught exception and would crash the process.
  pool.on('connect', (client) => client.on('error', () => undefined));
  const db = new Kysely<Database>({ dialect: wrap(new PostgresDialect({ pool })) });
  return {
    db,
    dialect: postgresDialect(),
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    close: () => db.destroy(),
  };
}
