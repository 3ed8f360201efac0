import type BetterSqlite3 from 'better-sqlite3';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema.js';
import { analyseQuery, NAME_BOOST } from '../../core/search/query.js';
import { translate } from '../unavailable.js';
import type { MemoryQuery, RankedSearchOptions, StorageDialect } from './dialect.js';

/** A memories row with its app's name and score, as a search returns it. */
type Row = Record<string, unknown> & { seq: number; updated_at: number; score: number };

/**
 * SQLite: FTS5 (porter stemming, unicode61) with BM25 ranking; migrations in a BEGIN IMMEDIATE
 * transaction, which serialises concurrent migrators on the same file.
 */
export function sqliteDialect(raw: BetterSqlite3.Database): StorageDialect {
  const frequencies = documentFrequencies(raw);
  const doclists = doclistCache(raw);
  const prepared = statementCache(raw);
  const yields = scopeYields();
  return {
    name: 'sqlite',
    async rankedSearch(db: Kysely<Database>, text: string, { limit, scope, scopeKey }: RankedSearchOptions): Promise<readonly Record<string, unknown>[]> {
      const { terms, names } = analyseQuery(text);
      if (terms.length === 0) return [];
      // One connection for the whole search: Kysely's mutex keeps any transaction of another caller from
      // running between the full-text statements (better-sqlite3, synchronous) and the scoped reads.
      return db.connection().execute(async (conn) => {
        try {
          const candidates = rankCandidates(terms, names, frequencies(), doclists);
          return topRows(conn, prepared, candidates, names, limit, scope, yields.for(scopeKey));
        } catch (err) {
          // These statements bypass Kysely's driver, so they map "database unreachable" as it does.
          throw translate(err);
        }
      });
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
    async lockWorkspace(trx: Kysely<Database>, workspaceId: string): Promise<void> {
      // A write takes the database's write lock now, before the transaction reads (another process would
      // otherwise read the same rows and fail, or win, when it upgrades its lock).
      await sql`UPDATE workspaces SET id = id WHERE id = ${workspaceId}`.execute(trx);
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
  if (names.length === 0) return sql<number>`1`;
  const starts = names.map((n) => sql`(m.content LIKE ${`${n}%`} AND substr(m.content, ${n.length + 1}, 1) NOT GLOB '[A-Za-z0-9]')`);
  return sql<number>`(CASE WHEN ${sql.join(starts, sql` OR `)} THEN ${1 + NAME_BOOST} ELSE 1 END)`;
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
 * The memories of the full-text index a search ranks, not yet scoped to a workspace, as parallel arrays
 * (a question can have tens of thousands).
 */
interface Candidates {
  readonly length: number;
  readonly seqs: Int32Array;
  /** bm25() over the rare terms (negated: higher is better) plus the idf of each common term present. */
  readonly scores: Float64Array;
  /** 1 when the first token is a name of the question (`^"name"`): it may get the name boost (LIKE decides). */
  readonly named: Uint8Array;
}

/** How many bytes of doclists (rowids, one bit per rowid, and for a ranked one a bm25() per row) are kept. */
const DOCLIST_CACHE_BYTES = 32 * 1024 * 1024;

interface Doclist {
  /** The rowids (seq) of the memories that match, ascending. */
  readonly rowids: Int32Array;
  /** Bit `seq` is set when the memory with that seq matches (empty in a ranked doclist). */
  readonly bits: Uint8Array;
  /** For a ranked doclist, -bm25() of each row (same order as rowids). */
  readonly scores?: Float64Array;
  /** The highest seq of the memories table when the doclist was last brought up to date. */
  readonly upTo: number;
}

type Doclists = ReturnType<typeof doclistCache>;

/**
 * The matches of a one-term FTS5 expression (`"term"`, or `^"name"`: memories whose first token is the
 * name), read from FTS5 once and reused while they stay exact; optionally with each row's bm25(). Common
 * terms and names are what questions share, and their doclists are the long ones.
 * - Any write to the full-text index, from any connection, rewrites its structure and averages records
 *   (`memories_fts_data`, ids 10 and 1): each committed write adds a segment and changes the row and token
 *   counts bm25() uses. `refresh` compares them before each search.
 * - When the only changes are memories added by this connection (new seqs above every cached doclist's
 *   `upTo`), a doclist is brought up to date by reading its matches above `upTo` (FTS5 seeks there), and
 *   ranked doclists are dropped (bm25() depends on the new counts).
 * - Anything else drops every doclist: a content change or a deletion on this connection (temporary
 *   triggers tell; soft deletes change no content), a commit by another connection (`PRAGMA data_version`),
 *   or missing triggers.
 * A doclist spans the whole index, like bm25()'s idf; it only chooses and weighs candidates, and which
 * memories are visible is decided by the workspace-scoped SQL (`topRows`).
 */
function doclistCache(raw: BetterSqlite3.Database) {
  let statements:
    | { version: BetterSqlite3.Statement; dataVersion: BetterSqlite3.Statement; triggers: BetterSqlite3.Statement; ids: BetterSqlite3.Statement; idsAbove: BetterSqlite3.Statement; ranked: BetterSqlite3.Statement }
    | undefined;
  let version: string | undefined;
  let dataVersion: unknown;
  /** Set by the temporary triggers when this connection changes or deletes indexed content. */
  let rewritten = false;
  let max = 0;
  let bytes = 0;
  const cache = new Map<string, Doclist>();
  const sizeOf = (d: Doclist) => d.rowids.byteLength + d.bits.byteLength + (d.scores?.byteLength ?? 0);
  const drop = (key: string) => {
    const entry = cache.get(key);
    if (!entry) return;
    cache.delete(key);
    bytes -= sizeOf(entry);
  };
  const remember = (key: string, doclist: Doclist) => {
    drop(key);
    for (const old of cache.keys()) {
      if (bytes + sizeOf(doclist) <= DOCLIST_CACHE_BYTES) break;
      drop(old);
    }
    cache.set(key, doclist);
    bytes += sizeOf(doclist);
    return doclist;
  };
  /** The bits of ascending `rowids`, starting from `from` (the bits of an earlier, shorter doclist). */
  const bitsOf = (rowids: Int32Array, added: Iterable<number> = rowids, from?: Uint8Array) => {
    const bits = bitset(rowids[rowids.length - 1] ?? 0);
    if (from) bits.set(from);
    for (const r of added) setBit(bits, r);
    return bits;
  };
  const installTriggers = () => {
    raw.function('cairn_fts_rewritten', { deterministic: false, varargs: false }, () => {
      rewritten = true;
      return null;
    });
    raw.exec(`
      CREATE TEMP TRIGGER IF NOT EXISTS cairn_fts_watch_update AFTER UPDATE OF content ON main.memories BEGIN SELECT cairn_fts_rewritten(); END;
      CREATE TEMP TRIGGER IF NOT EXISTS cairn_fts_watch_delete AFTER DELETE ON main.memories BEGIN SELECT cairn_fts_rewritten(); END;
    `);
  };
  const prepared = () =>
    (statements ??= {
      version: raw.prepare("SELECT group_concat(hex(block), '.') FROM (SELECT block FROM memories_fts_data WHERE id IN (1, 10) ORDER BY id)").pluck(),
      dataVersion: raw.prepare('PRAGMA data_version').pluck(),
      triggers: raw.prepare("SELECT count(*) FROM temp.sqlite_master WHERE type = 'trigger' AND name IN ('cairn_fts_watch_update', 'cairn_fts_watch_delete')").pluck(),
      // FTS5 returns matches in ascending rowid order.
      ids: raw.prepare('SELECT rowid FROM memories_fts WHERE memories_fts MATCH ?').pluck(),
      idsAbove: raw.prepare('SELECT rowid FROM memories_fts WHERE memories_fts MATCH ? AND rowid > ?').pluck(),
      ranked: raw.prepare('SELECT rowid, bm25(memories_fts) FROM memories_fts WHERE memories_fts MATCH ?').raw(),
    });
  return {
    /** Brings the cache in line with the index; call it before each search that reads doclists. `total` is the highest seq. */
    refresh(total: number): void {
      const st = prepared();
      const current = String(st.version.get() ?? '');
      const otherConnection = st.dataVersion.get();
      if (version !== undefined && current === version && otherConnection === dataVersion && !rewritten) return;
      // The triggers go with the table if a migration rebuilds it; that rewrites the index, so it is checked here.
      let reset = false;
      if (Number(st.triggers.get()) !== 2) {
        installTriggers();
        reset = true;
      }
      if (reset || rewritten || otherConnection !== dataVersion || total < max) {
        cache.clear();
        bytes = 0;
      } else {
        // Only rows added by this connection: plain doclists catch up when next used; bm25() changed everywhere.
        for (const [key, entry] of [...cache]) if (entry.scores) drop(key);
      }
      version = current;
      dataVersion = otherConnection;
      rewritten = false;
      max = total;
    },
    /** The doclist of `expression`. */
    get(expression: string): Doclist {
      const st = prepared();
      const hit = cache.get(expression);
      if (hit && hit.upTo >= max) {
        // Least recently used first when evicting.
        cache.delete(expression);
        cache.set(expression, hit);
        return hit;
      }
      if (hit) {
        const added = st.idsAbove.all(expression, hit.upTo) as number[];
        if (added.length === 0) return remember(expression, { ...hit, upTo: max });
        const rowids = new Int32Array(hit.rowids.length + added.length);
        rowids.set(hit.rowids);
        rowids.set(added, hit.rowids.length);
        return remember(expression, { rowids, bits: bitsOf(rowids, added, hit.bits), upTo: max });
      }
      const rowids = Int32Array.from(st.ids.all(expression) as number[]);
      return remember(expression, { rowids, bits: bitsOf(rowids), upTo: max });
    },
    /**
     * The matches of `expression` with each row's -bm25(), as `SELECT rowid, bm25(…) … MATCH expression`
     * gives them. bm25() of `"a" OR "b"` is, row by row, the sum of the bm25() of `"a"` and of `"b"`
     * (fts5_aux.c sums the phrases in order, a phrase a row lacks adding nothing), so one ranked doclist per
     * term serves every question that has the term.
     */
    ranked(expression: string): Doclist & { readonly scores: Float64Array } {
      const key = `bm25 ${expression}`;
      const hit = cache.get(key);
      if (hit?.scores) {
        cache.delete(key);
        cache.set(key, hit);
        return hit as Doclist & { scores: Float64Array };
      }
      const rows = prepared().ranked.all(expression) as [number, number][];
      const rowids = new Int32Array(rows.length);
      const scores = new Float64Array(rows.length);
      for (const [i, [seq, rank]] of rows.entries()) {
        rowids[i] = seq;
        scores[i] = -rank;
      }
      return remember(key, { rowids, bits: new Uint8Array(0), scores, upTo: max }) as Doclist & { scores: Float64Array };
    },
  };
}

/** One bit per seq, for seqs up to `max`. */
function bitset(max: number): Uint8Array {
  return new Uint8Array((max >> 3) + 1);
}

function setBit(bits: Uint8Array, seq: number): void {
  bits[seq >> 3]! |= 1 << (seq & 7);
}

function hasBit(bits: Uint8Array, seq: number): boolean {
  const byte = seq >> 3;
  return byte < bits.length && (bits[byte]! & (1 << (seq & 7))) !== 0;
}

/**
 * The full-text candidates of a search with their scores, not yet scoped. See docs/search.md, "Rare terms
 * find, common terms weigh".
 * - When every term is rare (or the index is small), the memories matching `"t1" OR "t2" …`, scored by bm25().
 * - Otherwise the candidates are the memories that contain a rare term (the rarest term always counts as
 *   rare) or begin with a name of the question (`^"name"`, as NAME_BOOST does). They are scored by bm25()
 *   over the rare terms, plus, for each common term a candidate contains, that term's idf (the BM25 weight
 *   of one occurrence in a memory of average length). A common term's presence is a bit of its doclist,
 *   read once and reused while the index is unchanged (`doclistCache`); bm25() over the common terms
 *   would instead read every memory that contains them: 14,000 of 100,000 on a typical LoCoMo question.
 * - When even the rarest term is common (every term is), its matches with their bm25() are a ranked
 *   doclist from the same cache: they can be tens of thousands, which bm25() scores at about 1 µs each.
 * Every memory beginning with a name (rare or common) is marked `named`, for the name boost.
 */
function rankCandidates(terms: readonly string[], names: readonly string[], frequencies: Frequencies, doclists: Doclists): Candidates {
  const { total } = frequencies;
  const threshold = Math.max(COMMON_MIN_ROWS, COMMON_SHARE * total);
  let rare: readonly string[] = terms;
  if (total > threshold) {
    const counted = terms.map((t) => ({ t, n: frequencies.count(t, Math.floor(threshold) + 1) })).sort((a, b) => a.n - b.n);
    const found = counted.filter(({ n }, i) => i === 0 || n <= threshold).map(({ t }) => t);
    if (found.length < terms.length) rare = found;
  }
  const common = terms.filter((t) => !rare.includes(t));
  doclists.refresh(total);
  const seqs: number[] = [];
  const scores: number[] = [];
  // bm25() over the rare terms, summed term by term in the order FTS5 would sum the phrases of
  // `"r1" OR "r2" …` (the question's order when every term is rare, else rarest first).
  const [first, ...others] = rare.map((t) => doclists.ranked(`"${t}"`));
  for (let i = 0; i < first!.rowids.length; i++) {
    seqs.push(first!.rowids[i]!);
    scores.push(first!.scores[i]!);
  }
  if (others.length > 0) {
    const at = new Map<number, number>();
    for (const [i, seq] of seqs.entries()) at.set(seq, i);
    for (const doclist of others) {
      for (let i = 0; i < doclist.rowids.length; i++) {
        const seq = doclist.rowids[i]!;
        const j = at.get(seq);
        if (j === undefined) {
          at.set(seq, seqs.length);
          seqs.push(seq);
          scores.push(doclist.scores[i]!);
        } else scores[j]! += doclist.scores[i]!;
      }
    }
  }
  const nameDoclists = names.map((name) => ({ subject: !rare.includes(name), doclist: doclists.get(`^"${name}"`) }));
  // Names that are not rare terms bring their memories in as candidates; a rare one's are among them already.
  if (nameDoclists.some((d) => d.subject)) {
    let max = total;
    for (const seq of seqs) if (seq > max) max = seq;
    // A doclist's rowids ascend: its last is its highest.
    for (const { doclist } of nameDoclists) max = Math.max(max, doclist.rowids[doclist.rowids.length - 1] ?? 0);
    const known = bitset(max);
    for (const seq of seqs) setBit(known, seq);
    for (const { subject, doclist } of nameDoclists) {
      if (!subject) continue;
      for (const seq of doclist.rowids) {
        if (hasBit(known, seq)) continue;
        setBit(known, seq);
        seqs.push(seq);
        scores.push(0);
      }
    }
  }
  const length = seqs.length;
  const out = { length, seqs: Int32Array.from(seqs), scores: Float64Array.from(scores), named: new Uint8Array(length) };
  for (const { doclist } of nameDoclists) for (let i = 0; i < length; i++) if (hasBit(doclist.bits, out.seqs[i]!)) out.named[i] = 1;
  for (const term of common) {
    const doclist = doclists.get(`"${term}"`);
    const n = doclist.rowids.length;
    // FTS5's own idf (fts5_aux.c), so a common term weighs as one occurrence would in bm25().
    const idf = Math.max(1e-6, Math.log((total - n + 0.5) / (n + 0.5)));
    for (let i = 0; i < length; i++) if (hasBit(doclist.bits, out.seqs[i]!)) out.scores[i]! += idf;
  }
  return out;
}

/**
 * How many candidates the first scoped read fetches: `limit` × FIRST_READ, divided by the share of
 * candidates this scope admitted in its earlier searches, and at least MIN_READ. Each further read fetches
 * at least 4× more, and enough to expect the missing rows at the share seen so far. Tuned at 100k memories
 * (bench/search-latency.ts, docs/search.md): reading 40 rows where 16 do cost a search 0.3 ms at p50.
 */
const FIRST_READ = 1.5;
const MIN_READ = 16;
/** A scope that admitted nothing yet is taken to admit 1 in 64, so one first read stays bounded. */
const MIN_YIELD = 1 / 64;

/**
 * The `limit` best candidates that `scope` admits, read in full. Candidates are read best first by their
 * highest possible score (× (1 + NAME_BOOST) when `named`), a batch at a time, until no unread candidate
 * can beat the `limit`-th row read: only the rows that make the top are joined with `memories` and `apps`,
 * and every row returned came through the workspace-scoped query. Order: score, then updated_at, then seq
 * (insertion order: ids end in random characters, so they would order equal scores differently in two
 * otherwise identical databases).
 */
function topRows(
  db: Kysely<Database>,
  prepared: (sql: string) => BetterSqlite3.Statement,
  candidates: Candidates,
  names: readonly string[],
  limit: number,
  scope: RankedSearchOptions['scope'],
  yieldOf?: ScopeYield,
): Row[] {
  const boost = 1 + NAME_BOOST;
  const { length, seqs, scores, named } = candidates;
  const bounds = new Float64Array(length);
  for (let i = 0; i < length; i++) bounds[i] = named[i] ? scores[i]! * boost : scores[i]!;
  const byRank = (a: Row, b: Row) => b.score - a.score || b.updated_at - a.updated_at || b.seq - a.seq;
  const rows: Row[] = [];
  // Every candidate whose bound is at least `cut` has been read.
  let cut = Infinity;
  let size = yieldOf ? Math.max(Math.ceil((FIRST_READ * limit) / yieldOf.expected()), MIN_READ) : Math.max(4 * limit, 32);
  let asked = 0;
  let admitted = 0;
  for (;;) {
    const unread: number[] = [];
    for (let i = 0; i < length; i++) if (bounds[i]! < cut) unread.push(i);
    if (unread.length === 0) break;
    // The batch: the `size` best unread bounds, and any equal to the last of them (their order is decided
    // by updated_at, once read).
    const floor = unread.length <= size ? -Infinity : kthLargest(Float64Array.from(unread, (i) => bounds[i]!), size);
    const batch = unread.filter((i) => bounds[i]! >= floor);
    cut = floor;
    // Compiled by Kysely (the scope's conditions), run as a prepared statement kept per SQL text: Kysely's
    // driver would prepare it again on every search.
    const query = scope(
      db
        .selectFrom(sql`json_each(${JSON.stringify(batch.map((i) => seqs[i]))})`.as('j') as never)
        .crossJoin('memories as m')
        .innerJoin('apps as a', 'a.id', 'm.app_id')
        .where(sql<boolean>`m.seq = j.value`)
        .selectAll('m')
        .select(['a.name as app_name', nameBoost(names).as('name_boost')]) as unknown as MemoryQuery,
    ).compile();
    const read = prepared(query.sql).all(...(query.parameters as unknown[]));
    asked += batch.length;
    admitted += read.length;
    const index = new Map(batch.map((i) => [seqs[i]!, i]));
    for (const { name_boost: like, ...row } of read as Record<string, unknown>[]) {
      const i = index.get(Number(row.seq))!;
      rows.push({ ...row, seq: Number(row.seq), updated_at: Number(row.updated_at), score: named[i] && Number(like) > 1 ? scores[i]! * boost : scores[i]! });
    }
    rows.sort(byRank);
    if (rows.length > limit) rows.length = limit;
    if (rows.length === limit) {
      // Done when the limit-th row read beats anything unread (equal could still win on updated_at).
      let best = -Infinity;
      for (let i = 0; i < length; i++) if (bounds[i]! < cut && bounds[i]! > best) best = bounds[i]!;
      if (best < rows[limit - 1]!.score) break;
    }
    const missing = limit - rows.length;
    size = yieldOf && missing > 0 ? Math.max(size * 4, Math.ceil((FIRST_READ * missing * asked) / Math.max(admitted, 1))) : size * 4;
  }
  if (asked > 0) yieldOf?.observe(admitted / asked);
  return rows;
}

/** What share of the candidates a scope admitted in its recent searches. */
interface ScopeYield {
  expected(): number;
  observe(share: number): void;
}

/**
 * The yields of the most recent 1,024 scopes (workspaces), each a moving average over its searches. The
 * full-text doclists hold every workspace's memories, so a workspace holding most of them finds its top
 * rows in the first few candidates and one holding a tenth needs ten times as many; learning the share
 * sizes the first read for both. It only sizes reads: the rows returned are the same whatever it says.
 */
function scopeYields(): { for(key: string | undefined): ScopeYield | undefined } {
  const shares = new Map<string, number>();
  return {
    for(key) {
      if (key === undefined) return undefined;
      return {
        expected: () => shares.get(key) ?? 1,
        observe(share) {
          const before = shares.get(key);
          shares.delete(key);
          shares.set(key, Math.max(MIN_YIELD, before === undefined ? share : 0.7 * before + 0.3 * share));
          if (shares.size > 1024) shares.delete(shares.keys().next().value!);
        },
      };
    },
  };
}

/** Prepared statements by SQL text, the most recently used 32. */
function statementCache(raw: BetterSqlite3.Database): (sql: string) => BetterSqlite3.Statement {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return (text) => {
    let statement = cache.get(text);
    if (statement) cache.delete(text);
    else statement = raw.prepare(text);
    cache.set(text, statement);
    if (cache.size > 32) cache.delete(cache.keys().next().value!);
    return statement;
  };
}

/** The k-th largest value of `values` (1-based; reorders it): quickselect, linear on average. */
export function kthLargest(values: Float64Array, k: number): number {
  let lo = 0;
  let hi = values.length - 1;
  const target = k - 1;
  while (lo < hi) {
    const pivot = values[(lo + hi) >> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (values[i]! > pivot) i++;
      while (values[j]! < pivot) j--;
      if (i <= j) {
        const t = values[i]!;
        values[i] = values[j]!;
        values[j] = t;
        i++;
        j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else return values[target]!;
  }
  return values[target]!;
}
