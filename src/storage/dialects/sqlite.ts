import type BetterSqlite3 from 'better-sqlite3';
import { sql, type Kysely, type SelectQueryBuilder } from 'kysely';
import type { Database } from '../schema.js';
import { analyseQuery, NAME_BOOST } from '../../core/search/query.js';
import type { MemoryQuery, RankedSearchOptions, StorageDialect } from './dialect.js';

/** The first stage of a search: full-text matches joined with their memory, before any column is selected. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the joined subquery has no table type
type CandidateQuery = SelectQueryBuilder<any, any, Record<string, unknown>>;

/**
 * SQLite: FTS5 (porter stemming, unicode61) with BM25 ranking; migrations in a BEGIN IMMEDIATE
 * transaction, which serialises concurrent migrators on the same file.
 */
export function sqliteDialect(raw: BetterSqlite3.Database): StorageDialect {
  return {
    name: 'sqlite',
    rankedSearch(db: Kysely<Database>, text: string, { limit, scope }: RankedSearchOptions): MemoryQuery | undefined {
      const { terms, names } = analyseQuery(text);
      if (terms.length === 0) return undefined;
      // Each term is quoted (a phrase of one token), joined with OR: a question matches any of its words
      // and BM25 ranks memories that contain more, rarer words first.
      const match = terms.map((t) => `"${t}"`).join(' OR ');
      const hits = sql<{ seq: number; rank: number }>`(SELECT rowid AS seq, bm25(memories_fts) AS rank FROM memories_fts WHERE memories_fts MATCH ${match})`;
      // CROSS JOIN keeps the full-text matches the outer loop: without planner statistics SQLite would
      // otherwise walk every memory of the workspace and probe the matches for each.
      const top = (scope(db.selectFrom(hits.as('f')).crossJoin('memories as m').whereRef('m.seq', '=', 'f.seq') as unknown as MemoryQuery) as unknown as CandidateQuery)
        .select([sql<number>`m.seq`.as('seq'), sql<number>`-f.rank * ${nameBoost(names)}`.as('score'), sql<number>`m.updated_at`.as('updated_at')])
        .orderBy(sql`score`, 'desc')
        .orderBy(sql`m.updated_at`, 'desc')
        // Insertion order last: ids end in random characters, so they would order equal scores
        // differently in two otherwise identical databases.
        .orderBy(sql`m.seq`, 'desc')
        .limit(limit);
      // Only the few best rows are read in full: sorting every candidate with its content and metadata
      // costs as much again as ranking them.
      return scope(
        db
          .selectFrom(top.as('t') as never)
          .crossJoin('memories as m')
          .innerJoin('apps as a', 'a.id', 'm.app_id')
          .whereRef('m.seq', '=', sql.ref('t.seq') as never)
          .selectAll('m')
          .select(['a.name as app_name', sql<number>`t.score`.as('score')]) as unknown as MemoryQuery,
      )
        .orderBy(sql`t.score`, 'desc')
        .orderBy('m.updated_at', 'desc')
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
