import type { AuditEvent } from '../audit/audit.js';
import type { Memory, MemoryState, MemoryVersion, Metadata } from './memory.js';

/** Which rows a query may touch. Every `MemoryStore` method takes it first and adds it to every statement. */
export interface WorkspaceScope {
  readonly workspaceId: string;
}

export interface NewMemory {
  readonly id: string;
  readonly authorUserId: string;
  readonly appId: string;
  readonly content: string;
  readonly metadata: Metadata;
  readonly contentHash: string;
  readonly now: number;
}

export interface MemoryFilters {
  readonly appId?: string;
  readonly authorUserId?: string;
  /** Default for list and search: only `active`. */
  readonly states?: readonly MemoryState[];
  /** Inclusive lower bound on `createdAt` (ms). */
  readonly since?: number;
  /** Exclusive upper bound on `createdAt` (ms). */
  readonly until?: number;
  /** Leaves out deleted memories deleted (`updatedAt`) before this: past their retention period, no longer restorable. */
  readonly deletedSince?: number;
}

export interface ListQuery extends MemoryFilters {
  readonly limit: number;
  /** Opaque cursor from a previous page. */
  readonly cursor?: { readonly createdAt: number; readonly id: string };
}

export interface SearchQuery extends MemoryFilters {
  readonly text: string;
  readonly limit: number;
}

export interface SearchHit {
  readonly memory: Memory;
  /**
   * Higher is more relevant. Comparable within one result list only. Lexical search: the full-text
   * relevance. Hybrid search (MemoryService with an embedder): the reciprocal-rank-fusion score,
   * Σ 1/(60 + rank) over the lexical and vector rankings (docs/architecture.md, "Hybrid search").
   */
  readonly score: number;
}

export interface MemoryPatch {
  readonly content?: string;
  readonly contentHash?: string;
  readonly metadata?: Metadata;
  readonly state?: MemoryState;
  readonly now: number;
  /**
   * A deleted memory accepts only a patch that moves it out of `deleted` (a restore), and only if it was deleted
   * (its `updatedAt`) at or after this time; any other change of a deleted memory is NOT_FOUND, so a deleted
   * memory's `updatedAt` stays its deletion time, which retention counts from. Without it any restore is allowed.
   */
  readonly restorableSince?: number;
}

export type InsertOutcome = { readonly memory: Memory; readonly created: boolean };

export type UpdateOutcome =
  | { readonly ok: true; readonly memory: Memory }
  | { readonly ok: false; readonly reason: 'NOT_FOUND' }
  /** A restore of a memory deleted before `restorableSince`: past the retention period. */
  | { readonly ok: false; readonly reason: 'EXPIRED' }
  | { readonly ok: false; readonly reason: 'DUPLICATE'; readonly existingId: string };

/**
 * The memory storage port. Implementations scope every statement by `scope.workspaceId` themselves, so
 * no caller can forget it; a memory of another workspace behaves exactly like one that does not exist.
 * Mutations take the audit event to append in the same transaction, so a change and its record are
 * written together or not at all. When embeddings are on, a new memory and a content change also queue
 * an embedding job in that transaction (see core/search/embedding-worker.ts).
 */
export interface MemoryStore {
  /** Inserts each memory unless an active or archived one with the same content hash exists in the workspace, in which case that one is returned with `created: false`. One transaction. */
  insertMany(scope: WorkspaceScope, items: readonly NewMemory[], audit: (m: Memory) => AuditEvent): Promise<InsertOutcome[]>;
  get(scope: WorkspaceScope, id: string): Promise<Memory | undefined>;
  /** The memories of the workspace among `ids` (any state), in no particular order; unknown ids are skipped. */
  getMany(scope: WorkspaceScope, ids: readonly string[]): Promise<Memory[]>;
  list(scope: WorkspaceScope, query: ListQuery): Promise<Memory[]>;
  search(scope: WorkspaceScope, query: SearchQuery): Promise<SearchHit[]>;
  update(scope: WorkspaceScope, id: string, patch: MemoryPatch, audit: AuditEvent): Promise<UpdateOutcome>;
  /** Soft-deletes the matching non-deleted memories (all of them when neither ids nor filters narrow it). Returns how many. */
  deleteMany(
    scope: WorkspaceScope,
    target: { readonly ids?: readonly string[]; readonly filters?: Omit<MemoryFilters, 'states'> },
    now: number,
    audit: (count: number) => AuditEvent,
  ): Promise<number>;
  /** Every version of the workspace's memory `id`, newest first; [] when the workspace has no such memory. */
  history(scope: WorkspaceScope, id: string): Promise<MemoryVersion[]>;
  /** Count by state, for `me` and the dashboard. */
  /** `deletedSince`: deleted memories count only if deleted at or after it (the restore window), as in lists. */
  count(scope: WorkspaceScope, deletedSince?: number): Promise<Record<MemoryState, number>>;
  /** Counts by state, and non-deleted memories per app and per author (the dashboard's filter menus), most first; one scan. */
  facets(scope: WorkspaceScope, deletedSince?: number): Promise<MemoryFacets>;
}

export interface MemoryFacets {
  readonly counts: Record<MemoryState, number>;
  readonly apps: readonly { readonly id: string; readonly name: string; readonly count: number }[];
  readonly authors: readonly { readonly userId: string; readonly name: string | null; readonly email: string; readonly count: number }[];
}
