import type { CompiledQuery, DatabaseConnection, Dialect, Driver, QueryResult, TransactionSettings } from 'kysely';

/**
 * A switch that makes the database "unreachable" at the driver boundary, for fault tests on SQLite
 * (PostgreSQL fault tests cut a real TCP proxy instead). While down, every connection and query fails with
 * the same error a refused connection gives (code ECONNREFUSED); when up, the real driver answers again.
 */
export interface FaultSwitch {
  wrap(dialect: Dialect): Dialect;
  down(): void;
  up(): void;
  readonly isDown: boolean;
}

export function createFaultSwitch(): FaultSwitch {
  let down = false;
  const refuse = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432 (injected)'), { code: 'ECONNREFUSED' });
  const check = () => {
    if (down) throw refuse();
  };
  class FaultyConnection implements DatabaseConnection {
    constructor(readonly inner: DatabaseConnection) {}
    executeQuery<R>(q: CompiledQuery): Promise<QueryResult<R>> {
      if (down) return Promise.reject(refuse());
      return this.inner.executeQuery<R>(q);
    }
    streamQuery<R>(q: CompiledQuery, chunk?: number): AsyncIterableIterator<QueryResult<R>> {
      check();
      return this.inner.streamQuery<R>(q, chunk);
    }
  }
  const unwrap = (c: DatabaseConnection) => (c instanceof FaultyConnection ? c.inner : c);
  class FaultyDriver implements Driver {
    constructor(private readonly inner: Driver) {}
    init() {
      return this.inner.init();
    }
    async acquireConnection() {
      check();
      return new FaultyConnection(await this.inner.acquireConnection());
    }
    beginTransaction(c: DatabaseConnection, s: TransactionSettings) {
      check();
      return this.inner.beginTransaction(unwrap(c), s);
    }
    commitTransaction(c: DatabaseConnection) {
      return this.inner.commitTransaction(unwrap(c));
    }
    rollbackTransaction(c: DatabaseConnection) {
      return this.inner.rollbackTransaction(unwrap(c));
    }
    releaseConnection(c: DatabaseConnection) {
      return this.inner.releaseConnection(unwrap(c));
    }
    destroy() {
      return this.inner.destroy();
    }
  }
  return {
    wrap: (d) => ({
      createAdapter: () => d.createAdapter(),
      createIntrospector: (db) => d.createIntrospector(db),
      createQueryCompiler: () => d.createQueryCompiler(),
      createDriver: () => new FaultyDriver(d.createDriver()),
    }),
    down: () => void (down = true),
    up: () => void (down = false),
    get isDown() {
      return down;
    },
  };
}
