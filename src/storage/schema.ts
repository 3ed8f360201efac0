import type { ColumnType, Generated } from 'kysely';

/**
 * Table types shared by both dialects (migrations/sqlite and migrations/postgres implement them).
 * Times are integer milliseconds since the epoch. `metadata` is TEXT on SQLite and JSONB on PostgreSQL:
 * it is written as a JSON string and read through `parseJson`, which accepts either form.
 */
export interface Database {
  users: UsersTable;
  workspaces: WorkspacesTable;
  memberships: MembershipsTable;
  apps: AppsTable;
  memories: MemoriesTable;
  api_keys: ApiKeysTable;
  audit_log: AuditLogTable;
  cairn_migrations: MigrationsTable;
  memory_vectors: MemoryVectorsTable;
  embedding_jobs: EmbeddingJobsTable;
}

export interface UsersTable {
  id: string;
  email: string;
  name: string | null;
  is_admin: number;
  disabled_at: number | null;
  created_at: number;
}

export interface WorkspacesTable {
  id: string;
  name: string;
  kind: 'personal' | 'shared';
  created_at: number;
}

export interface MembershipsTable {
  workspace_id: string;
  user_id: string;
  role: 'owner' | 'admin' | 'member' | 'viewer';
  created_at: number;
}

export interface AppsTable {
  id: string;
  workspace_id: string;
  name: string;
  created_at: number;
}

export interface MemoriesTable {
  seq: Generated<number>;
  id: string;
  workspace_id: string;
  author_user_id: string;
  app_id: string;
  content: string;
  metadata: ColumnType<unknown, string, string>;
  state: 'active' | 'archived' | 'deleted';
  content_hash: string;
  created_at: number;
  updated_at: number;
}

export interface ApiKeysTable {
  id: string;
  user_id: string;
  workspace_id: string;
  app_id: string;
  name: string;
  prefix: string;
  hash: string;
  /** Space-separated scope names. */
  scopes: string;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
  last_used_at: number | null;
  usage_count: Generated<number>;
  rotated_to: string | null;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: number;
  workspace_id: string | null;
  user_id: string | null;
  credential_kind: string | null;
  credential_id: string | null;
  app_id: string | null;
  action: string;
  target_id: string | null;
  request_id: string | null;
  detail: string | null;
}

/** One vector per memory: Float32 little-endian bytes (BLOB / bytea), unit length, of model `model_id`. */
export interface MemoryVectorsTable {
  memory_id: string;
  workspace_id: string;
  model_id: string;
  dimensions: number;
  vector: Buffer;
  updated_at: number;
}

/** The durable embedding queue: memories whose current text has no vector yet. */
export interface EmbeddingJobsTable {
  memory_id: string;
  workspace_id: string;
  attempts: Generated<number>;
  next_attempt_at: number;
  last_error: string | null;
  created_at: number;
}

export interface MigrationsTable {
  version: number;
  name: string;
  checksum: string;
  applied_at: number;
}

export function parseJson(value: unknown): Record<string, unknown> {
  if (value === null || value === undefined) return {};
  if (typeof value === 'string') {
    try {
      const parsed: unknown = JSON.parse(value);
      return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
    } catch {
      // Bad data in the store is handled, never a crash: an unreadable metadata blob reads as empty.
      return {};
    }
  }
  return typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
