import type { MemoryFilters } from '../memories/memory-store.js';

/**
 * The dense-retrieval ports. Cairn runs lexical-only until an embedder is configured; with one, new and
 * changed memories are queued for embedding in the same transaction as the write (embedding-worker.ts
 * fills the vectors in off the request path) and search fuses the lexical and vector rankings (fusion.ts).
 */
export interface Embedder {
  /** Stable identifier of model + dimensions, stored beside each vector so a model change forces reindex. */
  readonly id: string;
  readonly dimensions: number;
  /**
   * One vector per text, in order. Throws `EmbedderUnavailableError` when the provider cannot be reached
   * or refuses for a while (network, 429, 5xx): the caller retries later. `EmbedderRequestError` means
   * the provider refused these texts (too long, empty): other texts may still work. Any other error
   * (a configuration problem) affects every text alike.
   */
  embed(texts: readonly string[]): Promise<Float32Array[]>;
}

/** The embedding provider is down or overloaded; the same request may succeed later. */
export class EmbedderUnavailableError extends Error {
  override readonly name = 'EmbedderUnavailableError';
}

/** The provider refused these texts (too long, empty, …): the same texts will fail again, others may not. */
export class EmbedderRequestError extends Error {
  override readonly name = 'EmbedderRequestError';
}

export interface VectorHit {
  readonly memoryId: string;
  /** Cosine similarity of the (normalised) vectors, from -1 to 1; higher is closer. */
  readonly similarity: number;
}

/**
 * Vectors of one model, scoped by workspace in every statement. Only vectors of memories matching the
 * filters are returned (`states` defaults to `active`), so archived and deleted memories, and vectors made
 * by another model, never come back.
 */
export interface VectorIndex {
  /** The model whose vectors this index reads and writes (an `Embedder.id`). */
  readonly modelId: string;
  upsert(workspaceId: string, items: readonly { memoryId: string; vector: Float32Array }[]): Promise<void>;
  remove(workspaceId: string, memoryIds: readonly string[]): Promise<void>;
  /** True when the workspace has at least one vector of this model (search skips embedding the query otherwise). */
  hasVectors(workspaceId: string): Promise<boolean>;
  query(workspaceId: string, vector: Float32Array, limit: number, filters?: MemoryFilters): Promise<VectorHit[]>;
}

/** Scales a vector to unit length (a zero vector stays zero), so a dot product is the cosine similarity. */
export function normalise(vector: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < vector.length; i++) sum += vector[i]! * vector[i]!;
  const norm = Math.sqrt(sum);
  if (norm === 0 || Math.abs(norm - 1) < 1e-6) return vector;
  const out = new Float32Array(vector.length);
  for (let i = 0; i < vector.length; i++) out[i] = vector[i]! / norm;
  return out;
}
