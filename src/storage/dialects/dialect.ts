import type { Kysely, SelectQueryBuilder } from 'kysely';
import type { Database } from '../schema.js';

/** One pending migration as read from migrations/<dialect>/NNNN_name.sql. */
export interface MigrationFile {
  readonly version: number;
  readonly name: string;
  readonly checksum: string;
  readonly script: string;
}

/** The base memory query the repository builds (scoped, filtered, joined with apps); a dialect adds ranking. */
export type MemoryQuery = SelectQueryBuilder<Database & { m: Database['memories']; a: Database['apps'] }, 'm' | 'a', Record<string, unknown>>;

export interface RankedSearchOptions {
  readonly limit: number;
  /** Adds `m.workspace_id = …` and the search's filters to a query over `memories as m`. */
  readonly scope: (q: MemoryQuery) => MemoryQuery;
  /** Names the scope (its workspace) so a dialect may learn how it behaves across searches; never used to widen it. */
  readonly scopeKey?: string;
}

/**
 * Everything that differs between SQLite and PostgreSQL. These files are the only ones that know which
 * database it is; repositories call through this interface and never branch on the dialect.
 */
export interface StorageDialect {
  readonly name: 'sqlite' | 'postgres';
  /**
   * The full-text search of `text`: rows of memories (`m`, every column) with their app's name
   * (`a.name as app_name`) and a `score` column (higher = better), best first, at most `limit` rows. Every
   * memories query it runs goes through `scope`, which adds the repository's workspace and filter
   * conditions, so only rows `scope` admits are returned. Empty when the text has no searchable terms.
   */
  rankedSearch(db: Kysely<Database>, text: string, options: RankedSearchOptions): Promise<readonly Record<string, unknown>[]>;
  /** Runs `fn` inside one transaction that holds the migration lock (so several instances can start at once). */
  withMigrationLock<T>(db: Kysely<Database>, fn: (trx: Kysely<Database>) => Promise<T>): Promise<T>;
  /** Executes a multi-statement migration script inside the migration transaction. */
  runScript(trx: Kysely<Database>, script: string): Promise<void>;
  /**
   * Inside a transaction: locks the workspace's row until commit, so membership changes of one workspace
   * (the last-owner rule, accepting an invitation) run one after another, across instances too.
   */
  lockWorkspace(trx: Kysely<Database>, workspaceId: string): Promise<void>;
  /** True when the migrations table exists. */
  hasMigrationsTable(trx: Kysely<Database>): Promise<boolean>;
}
