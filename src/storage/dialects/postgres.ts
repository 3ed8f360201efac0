import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema.js';
import { analyseQuery, NAME_BOOST, type AnalysedQuery } from '../../core/search/query.js';
import type { MemoryQuery, RankedSearchOptions, StorageDialect } from './dialect.js';

/** Arbitrary, fixed: every Cairn instance takes the same advisory lock while it migrates. */
const MIGRATION_LOCK_ID = 0x63616972; // "cair"

/**
 * PostgreSQL: a generated `tsvector` (english configuration: stemming and stop words) with a GIN index,
 * ranked by `ts_rank_cd`; migrations under `pg_advisory_xact_lock` so instances starting together
 * migrate once and the others wait, then find nothing to do.
 */
export function postgresDialect(): StorageDialect {
  return {
    name: 'postgres',
    async rankedSearch(db: Kysely<Database>, text: string, { limit, scope }: RankedSearchOptions): Promise<readonly Record<string, unknown>[]> {
      const q = analyseQuery(text);
      const terms = q.terms;
      if (terms.length === 0) return [];
      // Terms are letters and digits only, so joining them with | is a well-formed tsquery.
      const query = sql`to_tsquery('english', ${terms.join(' | ')})`;
      const base = scope(db.selectFrom('memories as m').innerJoin('apps as a', 'a.id', 'm.app_id').selectAll('m').select('a.name as app_name') as unknown as MemoryQuery);
      return base
        .where(sql<boolean>`m.search_vector @@ ${query}`)
        .select(rarityWeightedRank(q).as('score'))
        .orderBy(sql`score`, 'desc')
        .orderBy('m.updated_at', 'desc')
        // Insertion order last: ids end in random characters, so they would order equal scores
        // differently in two otherwise identical databases.
        .orderBy('m.seq', 'desc')
        .limit(limit)
        .execute();
    },
    async withMigrationLock<T>(db: Kysely<Database>, fn: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
      return db.transaction().execute(async (trx) => {
        await sql`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_ID})`.execute(trx);
        return fn(trx);
      });
    },
    async lockWorkspace(trx: Kysely<Database>, workspaceId: string): Promise<void> {
      // Concurrent changes to one workspace's members wait here and then read what the first committed.
      // NO KEY: rows that merely reference the workspace (a memory written meanwhile) are not held up.
      await sql`SELECT id FROM workspaces WHERE id = ${workspaceId} FOR NO KEY UPDATE`.execute(trx);
    },
    async runScript(trx: Kysely<Database>, script: string): Promise<void> {
      // A query without parameters goes over the simple protocol, which accepts several statements.
      await sql.raw(script).execute(trx);
    },
    async hasMigrationsTable(trx: Kysely<Database>): Promise<boolean> {
      const r = await sql<{ t: string | null }>`SELECT to_regclass('cairn_migrations')::text AS t`.execute(trx);
      return r.rows[0]?.t != null;
    },
  };
}

/**
 * ts_rank_cd alone ignores how common a word is, so a query's filler word would weigh as much as its one
 * telling word. Like BM25 on SQLite, each term's rank is weighted by its rarity: ln(1 + matches / matches
 * containing the term), counted over the matched rows of this (workspace-scoped, filtered) query, so the
 * statistics never come from another workspace. A term no matched row contains adds nothing. A memory that
 * begins with a name the question mentions scores 1 + NAME_BOOST times as much (`~*` is a regular
 * expression; names are letters and digits only, `\M` ends the word).
 */
function rarityWeightedRank({ terms, names }: AnalysedQuery) {
  const parts = terms.map((term) => {
    const q = sql`to_tsquery('english', ${term})`;
    return sql`coalesce(ts_rank_cd(m.search_vector, ${q}) * ln(1 + (count(*) OVER ())::float8 / nullif(count(*) FILTER (WHERE m.search_vector @@ ${q}) OVER (), 0)), 0)`;
  });
  const sum = sql<number>`(${sql.join(parts, sql` + `)})`;
  if (names.length === 0) return sum;
  const starts = sql.join(names.map((n) => sql`m.content ~* ${`^${n}\\M`}`), sql` OR `);
  return sql<number>`(${sum} * (CASE WHEN ${starts} THEN ${1 + NAME_BOOST}::float8 ELSE 1 END))`;
}
