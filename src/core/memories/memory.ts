import { createHash } from 'node:crypto';

export const MEMORY_STATES = ['active', 'archived', 'deleted'] as const;
export type MemoryState = (typeof MEMORY_STATES)[number];

export type Metadata = Record<string, unknown>;

export interface Memory {
  readonly id: string;
  readonly workspaceId: string;
  readonly authorUserId: string;
  readonly appId: string;
  readonly appName: string;
  readonly content: string;
  readonly metadata: Metadata;
  readonly state: MemoryState;
  readonly contentHash: string;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** One version of a memory: what it said and its state after a change, and who made the change through what. */
export interface MemoryVersion {
  readonly version: number;
  /** `baseline`: the memory as it stood when history began (it was written before Cairn kept history). */
  readonly action: 'create' | 'update' | 'delete' | 'baseline';
  readonly content: string;
  readonly metadata: Metadata;
  readonly state: MemoryState;
  readonly at: number;
  readonly userId: string | null;
  readonly app: { readonly id: string; readonly name: string } | null;
  readonly credential: { readonly kind: string; readonly id: string | null } | null;
  readonly requestId: string | null;
}

export const MAX_CONTENT_CHARS = 32_000;
export const MAX_METADATA_BYTES = 16 * 1024;
export const MAX_BATCH = 100;

/** Normalised so that the same text typed twice is one memory: Unicode NFC and trimmed ends. */
export function normaliseContent(content: string): string {
  return content.normalize('NFC').trim();
}

/** The duplicate key: SHA-256 of the normalised content, hex. Same hash in one workspace = same memory. */
export function contentHash(normalised: string): string {
  return createHash('sha256').update(normalised, 'utf8').digest('hex');
}
