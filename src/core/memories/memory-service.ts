import { AppError, isAppError, notFound } from '../../errors/app-error.js';
import { principalEvent, type AccessLog } from '../audit/audit.js';
import type { Clock } from '../clock.js';
import { newId } from '../ids.js';
import { requireScopes, type Principal } from '../principal.js';
import {
  contentHash,
  MAX_BATCH,
  MAX_CONTENT_CHARS,
  MAX_METADATA_BYTES,
  normaliseContent,
  type Memory,
  type MemoryState,
  type MemoryVersion,
  type Metadata,
} from './memory.js';
import type { AppAccessGuard } from '../apps/app-access-guard.js';
import type { Embedder, VectorIndex } from '../search/embedder.js';
import { reciprocalRankFusion } from '../search/fusion.js';
import { searchLexical } from '../search/lexical-search.js';
import { restorableSince, type RetentionPolicy } from '../retention/retention.js';
import type { InsertOutcome, MemoryFacets, MemoryFilters, MemoryStore, SearchHit } from './memory-store.js';

export interface NewMemoryInput {
  readonly content: string;
  readonly metadata?: Metadata;
}

export interface ListInput extends Omit<MemoryFilters, 'states'> {
  readonly state?: MemoryState;
  readonly limit?: number;
  readonly cursor?: string;
}

export interface SearchInput {
  readonly query: string;
  readonly limit?: number;
  readonly filters?: Omit<MemoryFilters, 'states'> & { readonly state?: MemoryState };
}

export interface MemoryPage {
  readonly memories: Memory[];
  readonly nextCursor: string | null;
}

export const DEFAULT_PAGE = 50;
/** CAIRN_DELETED_RETENTION_DAYS when unset. */
export const DEFAULT_DELETED_RETENTION_DAYS = 30;
export const MAX_PAGE = 200;
export const MAX_BULK_UPDATE = 500;
export const DEFAULT_SEARCH_LIMIT = 10;
export const MAX_SEARCH_LIMIT = 100;
/** How long search waits for the query's embedding before answering from the lexical ranking alone. */
export const QUERY_EMBED_TIMEOUT_MS = 5000;

/**
 * Dense retrieval for search, present when an embedder is configured. `onError` hears why a search fell
 * back to lexical-only (embedder down, slow, or failing); the search itself still succeeds.
 */
export interface SemanticSearch {
  readonly embedder: Embedder;
  readonly vectors: VectorIndex;
  readonly onError?: (err: unknown) => void;
}

/**
 * Memory use cases. Every method takes the principal first, checks its scopes, and reaches storage only
 * through the principal's workspace, so no caller can read or change another workspace's memories.
 */
export class MemoryService {
  constructor(
    private readonly store: MemoryStore,
    private readonly accessLog: AccessLog,
    private readonly clock: Clock,
    /** App controls: every method asks it after the scope check, so a paused or read-only app is stopped on every surface. */
    private readonly appAccess: Pick<AppAccessGuard, 'require'>,
    private readonly semantic?: SemanticSearch,
    /** How long a deleted memory can be restored (CAIRN_DELETED_RETENTION_DAYS); the sweeper purges it afterwards. */
    private readonly retention: Pick<RetentionPolicy, 'deletedMemoryDays'> = { deletedMemoryDays: DEFAULT_DELETED_RETENTION_DAYS },
  ) {}

  async add(principal: Principal, input: NewMemoryInput): Promise<InsertOutcome> {
    const [outcome] = await this.addMany(principal, [input]);
    return outcome!;
  }

  async addMany(principal: Principal, inputs: readonly NewMemoryInput[]): Promise<InsertOutcome[]> {
    requireScopes(principal, 'memories:write');
    await this.appAccess.require(principal, 'write');
    if (inputs.length === 0) throw new AppError('INVALID_INPUT', 'At least one memory is required.', { field: 'memories' });
    if (inputs.length > MAX_BATCH) throw new AppError('INVALID_INPUT', `At most ${MAX_BATCH} memories per request.`, { field: 'memories' });
    const now = this.clock.now();
    const items = inputs.map((input, i) => {
      const content = checkContent(input.content, inputs.length > 1 ? `memories.${i}.content` : 'content');
      return {
        id: newId('mem', now),
        authorUserId: principal.userId,
        appId: principal.appId,
        content,
        metadata: checkMetadata(input.metadata ?? {}, inputs.length > 1 ? `memories.${i}.metadata` : 'metadata'),
        contentHash: contentHash(content),
        now,
      };
    });
    return this.store.insertMany(principal, items, (m) => principalEvent(principal, 'memory.create', m.id, now));
  }

  async get(principal: Principal, id: string): Promise<Memory> {
    requireScopes(principal, 'memories:read');
    await this.appAccess.require(principal, 'read');
    const memory = await this.store.get(principal, id);
    if (!memory || memory.state === 'deleted') throw notFound('Memory');
    this.accessLog.record(principalEvent(principal, 'memory.read', id, this.clock.now()));
    return memory;
  }

  /**
   * Every version of a memory, newest first: what it said, its state, when, who and through which app.
   * Deleted memories keep their history (the dashboard can restore them), so only "not in this workspace" is 404.
   */
  async history(principal: Principal, id: string): Promise<MemoryVersion[]> {
    requireScopes(principal, 'memories:read');
    await this.appAccess.require(principal, 'read');
    const versions = await this.store.history(principal, id);
    if (versions.length === 0) throw notFound('Memory');
    this.accessLog.record(principalEvent(principal, 'memory.read', id, this.clock.now(), { history: true }));
    return versions;
  }

  async list(principal: Principal, input: ListInput = {}): Promise<MemoryPage> {
    requireScopes(principal, 'memories:read');
    await this.appAccess.require(principal, 'read');
    const limit = clampLimit(input.limit, DEFAULT_PAGE, MAX_PAGE);
    const cursor = input.cursor === undefined ? undefined : decodeCursor(input.cursor);
    const rows = await this.store.list(principal, {
      ...filtersOf(input),
      states: [input.state ?? 'active'],
      // Deleted memories past their retention period are gone, whether or not the sweep has erased them yet.
      deletedSince: restorableSince(this.retention, this.clock.now()),
      limit: limit + 1,
      ...(cursor ? { cursor } : {}),
    });
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    this.accessLog.record(principalEvent(principal, 'memory.list', null, this.clock.now(), { count: page.length }));
    return { memories: page, nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
  }

  async search(principal: Principal, input: SearchInput): Promise<SearchHit[]> {
    requireScopes(principal, 'memories:read');
    await this.appAccess.require(principal, 'read');
    const text = input.query.trim();
    if (text.length === 0) throw new AppError('INVALID_INPUT', 'Invalid query: must not be empty.', { field: 'query' });
    if (text.length > 2000) throw new AppError('INVALID_INPUT', 'Invalid query: at most 2000 characters.', { field: 'query' });
    const limit = clampLimit(input.limit, DEFAULT_SEARCH_LIMIT, MAX_SEARCH_LIMIT);
    const filters: MemoryFilters = { ...filtersOf(input.filters ?? {}), states: [input.filters?.state ?? 'active'], deletedSince: restorableSince(this.retention, this.clock.now()) };
    const hits = this.semantic
      ? await this.hybridSearch(principal, this.semantic, text, limit, filters)
      : await searchLexical(this.store, principal, { ...filters, text, limit });
    this.accessLog.record(principalEvent(principal, 'memory.search', null, this.clock.now(), { results: hits.length }));
    return hits;
  }

  /**
   * Lexical and vector rankings of up to `candidates` each, fused with RRF (fusion.ts). In hybrid results
   * `score` is the fused score, Σ 1/(60 + rank) over the two rankings (at most 2/61 ≈ 0.033: first in
   * both); with no vector ranking (the workspace has no vectors yet, or the embedder failed) the results
   * and scores are the lexical ones unchanged.
   */
  private async hybridSearch(principal: Principal, semantic: SemanticSearch, text: string, limit: number, filters: MemoryFilters): Promise<SearchHit[]> {
    const candidates = Math.min(Math.max(limit * 3, 30), 2 * MAX_SEARCH_LIMIT);
    const [lexical, vector] = await Promise.all([
      searchLexical(this.store, principal, { ...filters, text, limit: candidates }),
      this.vectorRanking(principal, semantic, text, candidates, filters),
    ]);
    if (vector.length === 0) return lexical.slice(0, limit);
    const fused = reciprocalRankFusion([lexical.map((h) => h.memory.id), vector.map((h) => h.memoryId)]).slice(0, limit);
    const known = new Map(lexical.map((h) => [h.memory.id, h.memory]));
    const missing = fused.filter((f) => !known.has(f.id)).map((f) => f.id);
    for (const m of await this.store.getMany(principal, missing)) known.set(m.id, m);
    // A memory deleted between the vector query and this read is simply left out.
    return fused.flatMap((f) => {
      const memory = known.get(f.id);
      return memory ? [{ memory, score: f.score }] : [];
    });
  }

  private async vectorRanking(principal: Principal, semantic: SemanticSearch, text: string, limit: number, filters: MemoryFilters) {
    try {
      if (!(await semantic.vectors.hasVectors(principal.workspaceId))) return [];
      const [vector] = await withTimeout(semantic.embedder.embed([text]), QUERY_EMBED_TIMEOUT_MS);
      if (!vector) return [];
      return await semantic.vectors.query(principal.workspaceId, vector, limit, filters);
    } catch (err) {
      semantic.onError?.(err);
      return [];
    }
  }

  /**
   * Changes a memory. A deleted memory takes only a restore (a state other than `deleted`), and only within
   * CAIRN_DELETED_RETENTION_DAYS of its deletion; past that it is NOT_FOUND, as it will be once the sweep erased it.
   */
  async update(principal: Principal, id: string, patch: { content?: string; metadata?: Metadata; state?: MemoryState }): Promise<Memory> {
    requireScopes(principal, ...(patch.state === 'deleted' ? (['memories:delete'] as const) : (['memories:write'] as const)));
    await this.appAccess.require(principal, 'write');
    if (patch.content === undefined && patch.metadata === undefined && patch.state === undefined) {
      throw new AppError('INVALID_INPUT', 'Nothing to update: give content, metadata or state.');
    }
    const now = this.clock.now();
    const content = patch.content === undefined ? undefined : checkContent(patch.content, 'content');
    const outcome = await this.store.update(
      principal,
      id,
      {
        ...(content === undefined ? {} : { content, contentHash: contentHash(content) }),
        ...(patch.metadata === undefined ? {} : { metadata: checkMetadata(patch.metadata, 'metadata') }),
        ...(patch.state === undefined ? {} : { state: patch.state }),
        now,
        restorableSince: restorableSince(this.retention, now),
      },
      principalEvent(principal, patch.state === 'deleted' ? 'memory.delete' : 'memory.update', id, now, {
        fields: Object.keys(patch).filter((k) => patch[k as keyof typeof patch] !== undefined),
      }),
    );
    if (outcome.ok) return outcome.memory;
    if (outcome.reason === 'DUPLICATE') {
      throw new AppError('CONFLICT', 'Another memory in this workspace already has this content.', { existingId: outcome.existingId });
    }
    if (outcome.reason === 'EXPIRED') {
      // The same answer as after the sweep has purged it: past its retention period the memory is gone.
      throw new AppError('NOT_FOUND', `Memory not found: it was deleted more than ${this.retention.deletedMemoryDays} days ago and can no longer be restored.`, {
        reason: 'retention_expired',
      });
    }
    throw notFound('Memory');
  }

  async delete(principal: Principal, id: string): Promise<void> {
    requireScopes(principal, 'memories:delete');
    await this.appAccess.require(principal, 'write');
    const now = this.clock.now();
    const n = await this.store.deleteMany(principal, { ids: [id] }, now, () => principalEvent(principal, 'memory.delete', id, now));
    if (n === 0) throw notFound('Memory');
  }

  /** Deletes the given ids, or every memory matching the filters; with neither, every memory of the workspace. */
  async deleteMany(principal: Principal, target: { ids?: readonly string[]; filters?: Omit<MemoryFilters, 'states'> }): Promise<number> {
    requireScopes(principal, 'memories:delete');
    await this.appAccess.require(principal, 'write');
    if (target.ids && target.ids.length > 1000) throw new AppError('INVALID_INPUT', 'At most 1000 ids per request.', { field: 'ids' });
    const now = this.clock.now();
    return this.store.deleteMany(principal, target, now, (count) =>
      principalEvent(principal, 'memory.bulk_delete', null, now, { count, ...(target.ids ? { ids: target.ids.length } : {}) }),
    );
  }

  async counts(principal: Principal): Promise<Record<MemoryState, number>> {
    requireScopes(principal, 'memories:read');
    await this.appAccess.require(principal, 'read');
    // Deleted memories past the restore window are gone for every reader, as in lists, before the sweep erases them.
    return this.store.count(principal, restorableSince(this.retention, this.clock.now()));
  }

  /** Counts by state and non-deleted memories per app and author (the dashboard's filter menus). */
  async facets(principal: Principal): Promise<MemoryFacets> {
    requireScopes(principal, 'memories:read');
    await this.appAccess.require(principal, 'read');
    return this.store.facets(principal, restorableSince(this.retention, this.clock.now()));
  }

  /**
   * Moves each of `ids` to `state` (archive, delete, or restore to active: the dashboard's bulk actions and
   * their undo), each through `update`, so every change is checked and audited like a single one. Ids that
   * are not the workspace's, already in that state, or whose restore would duplicate a live memory are
   * skipped. Returns how many changed.
   */
  async setStateMany(principal: Principal, ids: readonly string[], state: MemoryState): Promise<number> {
    requireScopes(principal, ...(state === 'deleted' ? (['memories:delete'] as const) : (['memories:write'] as const)));
    await this.appAccess.require(principal, 'write');
    if (ids.length > MAX_BULK_UPDATE) throw new AppError('INVALID_INPUT', `At most ${MAX_BULK_UPDATE} ids per request.`, { field: 'ids' });
    const current = await this.store.getMany(principal, [...new Set(ids)]);
    let updated = 0;
    for (const memory of current) {
      if (memory.state === state) continue;
      try {
        await this.update(principal, memory.id, { state });
        updated += 1;
      } catch (err) {
        if (isAppError(err) && (err.code === 'NOT_FOUND' || err.code === 'CONFLICT')) continue;
        throw err;
      }
    }
    return updated;
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the embedder did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function checkContent(raw: string, field: string): string {
  const content = normaliseContent(raw);
  if (content.length === 0) throw new AppError('INVALID_INPUT', `Invalid ${field}: must not be empty.`, { field });
  if (content.length > MAX_CONTENT_CHARS) {
    throw new AppError('INVALID_INPUT', `Invalid ${field}: at most ${MAX_CONTENT_CHARS} characters.`, { field });
  }
  return content;
}

function checkMetadata(metadata: Metadata, field: string): Metadata {
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) {
    throw new AppError('INVALID_INPUT', `Invalid ${field}: must be a JSON object.`, { field });
  }
  const size = Buffer.byteLength(JSON.stringify(metadata), 'utf8');
  if (size > MAX_METADATA_BYTES) {
    throw new AppError('INVALID_INPUT', `Invalid ${field}: at most ${MAX_METADATA_BYTES} bytes of JSON.`, { field });
  }
  return metadata;
}

function clampLimit(value: number | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new AppError('INVALID_INPUT', `Invalid limit: must be a whole number from 1 to ${max}.`, { field: 'limit' });
  }
  return value;
}

function filtersOf(input: Omit<MemoryFilters, 'states'>): Omit<MemoryFilters, 'states'> {
  return {
    ...(input.appId ? { appId: input.appId } : {}),
    ...(input.authorUserId ? { authorUserId: input.authorUserId } : {}),
    ...(input.since !== undefined ? { since: input.since } : {}),
    ...(input.until !== undefined ? { until: input.until } : {}),
  };
}

export function encodeCursor(m: Pick<Memory, 'createdAt' | 'id'>): string {
  return Buffer.from(JSON.stringify([m.createdAt, m.id])).toString('base64url');
}

export function decodeCursor(cursor: string): { createdAt: number; id: string } {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && typeof value[0] === 'number' && typeof value[1] === 'string') {
      return { createdAt: value[0], id: value[1] };
    }
  } catch {
    // fall through to the error below
  }
  throw new AppError('INVALID_INPUT', 'Invalid cursor: use the nextCursor of a previous page.', { field: 'cursor' });
}
