import type { DatabaseConnection, Dialect, Driver, QueryResult, CompiledQuery, TransactionSettings } from 'kysely';
import { AppError } from '../errors/app-error.js';

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'EAI_AGAIN']);
// PostgreSQL SQLSTATEs: class 08 (connection exception), 57P01-03 (shutdown / cannot connect now), 53300 (too many connections).
const PG_UNAVAILABLE = /^(08...|57P0[123]|53300)$/;
const SQLITE_UNAVAILABLE = /^SQLITE_(CANTOPEN|IOERR|BUSY|LOCKED|FULL|READONLY)/;
const MESSAGES = [/Connection terminated/i, /timeout exceeded when trying to connect/i, /not queryable/i, /Client was closed/i, /The database connection is not open/i, /Cannot use a pool after calling end/i];

/** True for errors that mean "the database cannot be reached right now", as opposed to a bad query. */
export function isUnavailableError(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || PG_UNAVAILABLE.test(code) || SQLITE_UNAVAILABLE.test(code))) return true;
  const message = (err as { message?: unknown }).message;
  if (typeof message === 'string' && MESSAGES.some((re) => re.test(message))) return true;
  if (err instanceof AggregateError) return err.errors.some(isUnavailableError);
  return false;
}

/** `err` as `AppError('UNAVAILABLE')` when it means the database cannot be reached, else unchanged. */
export function translate(err: unknown): unknown {
  return isUnavailableError(err) ? new AppError('UNAVAILABLE', undefined, undefined, { cause: err }) : err;
}

/**
 * Wraps a Kysely dialect so that "database unreachable" errors surface as `AppError('UNAVAILABLE')`
 * (503 on every surface) at one place, instead of each repository guessing. Fail closed: an
 * authentication lookup that cannot reach the store is a 503, never an allow.
 */
export function withUnavailableMapping(inner: Dialect): Dialect {
  return {
    createAdapter: () => inner.createAdapter(),
    createIntrospector: (db) => inner.createIntrospector(db),
    createQueryCompiler: () => inner.createQueryCompiler(),
    createDriver: () => new MappingDriver(inner.createDriver()),
  };
}

class MappingDriver implements Driver {
  constructor(private readonly inner: Driver) {}
  init(): Promise<void> {
    return this.inner.init().catch((e: unknown) => Promise.reject(translate(e)));
  }
  async acquireConnection(): Promise<DatabaseConnection> {
    try {
      return new MappingConnection(await this.inner.acquireConnection());
    } catch (e) {
      throw translate(e);
    }
  }
  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    try {
      await this.inner.beginTransaction(unwrap(connection), settings);
    } catch (e) {
      throw translate(e);
    }
  }
  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    try {
      await this.inner.commitTransaction(unwrap(connection));
    } catch (e) {
      throw translate(e);
    }
  }
  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    try {
      await this.inner.rollbackTransaction(unwrap(connection));
    } catch (e) {
      throw translate(e);
    }
  }
  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.inner.releaseConnection(unwrap(connection));
  }
  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}

class MappingConnection implements DatabaseConnection {
  constructor(readonly inner: DatabaseConnection) {}
  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    try {
      return await this.inner.executeQuery<R>(compiled);
    } catch (e) {
      throw translate(e);
    }
  }
  async *streamQuery<R>(compiled: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    try {
      yield* this.inner.streamQuery<R>(compiled, chunkSize);
    } catch (e) {
      throw translate(e);
    }
  }
}

function unwrap(connection: DatabaseConnection): DatabaseConnection {
  return connection instanceof MappingConnection ? connection.inner : connection;
}
