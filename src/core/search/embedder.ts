/**
 * The dense-retrieval ports. Cairn runs lexical-only until an embedder is configured (a later issue adds
 * OpenAI-compatible and local providers, and vector indexes for both databases). They are declared now so
 * the memory service's search has one seam to fuse results at, and so the storage scoping rule (every
 * query bound to one workspace) is part of the vector contract from the start.
 */
export interface Embedder {
  /** Stable identifier of model + dimensions, stored beside each vector so a model change forces reindex. */
  readonly id: string;
  readonly dimensions: number;
  embed(texts: readonly string[]): Promise<Float32Array[]>;
}

export interface VectorHit {
  readonly memoryId: string;
  readonly similarity: number;
}

export interface VectorIndex {
  upsert(workspaceId: string, items: readonly { memoryId: string; vector: Float32Array }[]): Promise<void>;
  remove(workspaceId: string, memoryIds: readonly string[]): Promise<void>;
  query(workspaceId: string, vector: Float32Array, limit: number): Promise<VectorHit[]>;
}
