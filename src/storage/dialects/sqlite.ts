import type BetterSqlite3 from 'better-sqlite3';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema.js';
import { analyseQuery, NAME_BOOST } from '../../core/search/query.js';
import type { MemoryQuery, StorageDialect } from './dialect.js';

/**
 * SQLite: FTS5 (porter stemming, unicode61) with BM25 ranking; migrations in a BEGIN IMMEDIATE
 * transaction, which serialises concurrent migrators on the same file.
 */
export function sqliteDialect(raw: BetterSqlite3.Database): StorageDialect {
  return {
    name: 'sqlite',
    rankedSearch(base: MemoryQuery, text: string): MemoryQuery | undefined {
      const { terms, names } = analyseQuery(text);
      if (terms.length === 0) return undefined;
      // Each term is quoted (a phrase of one token), joined with OR: a question matches any of its words
      // and BM25 ranks memories that contain more, rarer words first.
      const match = terms.map((t) => `"${t}"`).join(' OR ');
      // The match runs once, in a subquery that LIMIT -1 keeps SQLite from flattening. Joined directly,
      // the planner drives the join from the workspace index and re-runs the full-text match for every
      // memory of the workspace (about 60× slower with 3,000 memories: bench/auth-overhead.ts found it).
      const hits = sql<{ seq: number; rank: number }>`(SELECT rowid AS seq, bm25(memories_fts) AS rank FROM memories_fts WHERE memories_fts MATCH ${match} LIMIT -1)`;
      return base
        .innerJoin(hits.as('f'), (join) => join.on(sql<boolean>`f.seq = m.seq`))
        .select(sql<number>`-f.rank * ${nameBoost(names)}`.as('score'))
        .orderBy(sql`score`, 'desc')
        .orderBy('m.updated_at', 'desc')
        // Insertion order last: ids end in random characters, so they would order equal scores
        // differently in two otherwise identical databases.
        .orderBy('m.seq', 'desc') as unknown as MemoryQuery;
    },
    async withMigrationLock<T>(db: Kysely<Database>, fn: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
      // BEGIN IMMEDIATE takes the write lock up front, so two processes migrating the same file wait for
      // each other (busy_timeout) instead of one failing half-way when it upgrades a read lock.
      return db.connection().execute(async (conn) => {
        await sql`BEGIN IMMEDIATE`.execute(conn);
        try {
          const result = await fn(conn);
          await sql`COMMIT`.execute(conn);
          return result;
        } catch (err) {
          await sql`ROLLBACK`.execute(conn).catch(() => undefined);
          throw err;
        }
      });
    },
    async runScript(_trx: Kysely<Database>, script: string): Promise<void> {
      // better-sqlite3's exec runs several statements; it shares the one connection Kysely's transaction is on.
      raw.exec(script);
    },
    async hasMigrationsTable(trx: Kysely<Database>): Promise<boolean> {
      const r = await sql<{ n: number }>`SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'cairn_migrations'`.execute(trx);
      return (r.rows[0]?.n ?? 0) > 0;
    },
  };
}

/**
 * 1 + NAME_BOOST for a memory that begins with one of the names (then a non-letter: `Caroline:` but not
 * `Carolines`), else 1. Evaluated only on the rows the full-text match returned. LIKE folds ASCII case
 * only, so a name with other letters must be written as stored.
 */
function nameBoost(names: readonly string[]) {
  if (names.length === 0) return sql`1`;
  const starts = names.map((n) => sql`(m.content LIKE ${`${n}%`} AND substr(m.content, ${n.length + 1}, 1) NOT GLOB '[A-Za-z0-9]')`);
  return sql`(CASE WHEN ${sql.join(starts, sql` OR `)} THEN ${1 + NAME_BOOST} ELSE 1 END)`;
}
