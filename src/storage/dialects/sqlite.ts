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
  const frequencies = documentFrequencies(raw);
  return {
    name: 'sqlite',
    rankedSearch(db: Kysely<Database>, text: string, { limit, scope }: RankedSearchOptions): MemoryQuery | undefined {
      const { terms, names } = analyseQuery(text);
      if (terms.length === 0) return undefined;
      const hits = matchedRows(terms, names, frequencies());
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

/**
 * A term found in more than this share of all memories (and in more than COMMON_MIN_ROWS) is *common*: it
 * does not select candidates, it only adds to the score of candidates found by the other terms. Tuned on
 * LoCoMo (docs/search.md): from 0.25% to 2% all beat scoring every match by 1 point of recall@10;
 * 0.5% is the fastest at 100k memories.
 */
export const COMMON_SHARE = 0.005;
/** Below this many memories a term is never common: small databases are ranked by plain BM25. */
export const COMMON_MIN_ROWS = 50;
/** How long a term's document frequency is reused, and how many terms are remembered. */
const FREQUENCY_TTL_MS = 5 * 60_000;
const FREQUENCY_CACHE_SIZE = 10_000;

interface Frequencies {
  /** Rows of the full-text index (approximately: the highest seq). */
  readonly total: number;
  /** How many memories contain the term, counted exactly up to `cap` (then `cap`). */
  count(term: string, cap: number): number;
}

/**
 * Document frequencies from FTS5, remembered for a few minutes: a common term costs a walk of its whole
 * doclist (about 1 ms for 20,000 memories), and questions reuse words. They are statistics of the whole
 * index, like the idf bm25() itself uses, never rows of a workspace, and only weight and choose terms.
 */
function documentFrequencies(raw: BetterSqlite3.Database): () => Frequencies {
  let totalStatement: BetterSqlite3.Statement | undefined;
  let countStatement: BetterSqlite3.Statement | undefined;
  const cache = new Map<string, { n: number; exact: boolean; at: number; total: number }>();
  return () => {
    totalStatement ??= raw.prepare('SELECT max(seq) AS n FROM memories');
    const total = Number((totalStatement.get() as { n: number | null }).n ?? 0);
    const now = Date.now();
    return {
      total,
      count(term: string, cap: number): number {
        const hit = cache.get(term);
        // A count is reused while it is fresh and the index has not grown by a tenth since.
        if (hit && now - hit.at < FREQUENCY_TTL_MS && total <= hit.total * 1.1 && (hit.exact || hit.n >= cap)) return Math.min(hit.n, cap);
        countStatement ??= raw.prepare('SELECT count(*) AS n FROM (SELECT 1 FROM memories_fts WHERE memories_fts MATCH ? LIMIT ?)');
        const n = Number((countStatement.get(`"${term}"`, cap) as { n: number }).n);
        if (cache.size >= FREQUENCY_CACHE_SIZE) cache.clear();
        cache.set(term, { n, exact: n < cap, at: now, total });
        return n;
      },
    };
  };
}

/**
 * The full-text matches to rank, as (seq, rank); lower rank is better, like bm25(). See docs/search.md,
 * "Rare terms find, common terms weigh".
 * - When every term is rare (or the index is small), FTS5 `"t1" OR "t2" …` ranked by bm25(), as before.
 * - Otherwise the candidates are the memories that contain a rare term (the rarest term always counts as
 *   rare) or begin with a name of the question (`^"name"`, as NAME_BOOST does). They are ranked by bm25()
 *   over the rare terms, plus, for each common term a candidate contains, that term's idf (the BM25 weight
 *   of one occurrence in a memory of average length). A common term's presence is found with
 *   `(candidates) AND "term"`, which FTS5 answers by skipping through the term's doclist; bm25() over the
 *   common terms would instead read every memory that contains them: 14,000 of 100,000 on a typical
 *   LoCoMo question, 50 ms.
 */
function matchedRows(terms: readonly string[], names: readonly string[], frequencies: Frequencies) {
  const anyOf = (ts: readonly string[]) => ts.map((t) => `"${t}"`).join(' OR ');
  const { total } = frequencies;
  const threshold = Math.max(COMMON_MIN_ROWS, COMMON_SHARE * total);
  const plain = () => sql<{ seq: number; rank: number }>`(SELECT rowid AS seq, bm25(memories_fts) AS rank FROM memories_fts WHERE memories_fts MATCH ${anyOf(terms)})`;
  if (total <= threshold) return plain();
  const counted = terms.map((t) => ({ t, n: frequencies.count(t, Math.floor(threshold) + 1) })).sort((a, b) => a.n - b.n);
  const rare = counted.filter(({ n }, i) => i === 0 || n <= threshold).map(({ t }) => t);
  if (rare.length === terms.length) return plain();
  const common = terms.filter((t) => !rare.includes(t));
  const subjects = names.filter((n) => !rare.includes(n)).map((n) => `^"${n}"`);
  const candidates = [anyOf(rare), ...subjects].join(' OR ');
  // LIMIT -1 keeps SQLite from flattening the bm25() arm into the aggregate, where bm25() cannot run.
  const arms = [sql`SELECT seq, s FROM (SELECT rowid AS seq, -bm25(memories_fts) AS s FROM memories_fts WHERE memories_fts MATCH ${anyOf(rare)} LIMIT -1)`];
  if (subjects.length > 0) arms.push(sql`SELECT rowid, 0 FROM memories_fts WHERE memories_fts MATCH ${subjects.join(' OR ')}`);
  for (const term of common) {
    const n = frequencies.count(term, total + 1);
    // FTS5's own idf (fts5_aux.c), so a common term weighs as one occurrence would in bm25().
    const idf = Math.max(1e-6, Math.log((total - n + 0.5) / (n + 0.5)));
    arms.push(sql`SELECT rowid, ${idf} FROM memories_fts WHERE memories_fts MATCH ${`(${candidates}) AND "${term}"`}`);
  }
  return sql<{ seq: number; rank: number }>`(SELECT seq, -sum(s) AS rank FROM (${sql.join(arms, sql` UNION ALL `)}) GROUP BY seq)`;
}
