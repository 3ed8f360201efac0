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
  memory_versions: MemoryVersionsTable;
  api_keys: ApiKeysTable;
  audit_log: AuditLogTable;
  audit_purge: AuditPurgeTable;
  cairn_migrations: MigrationsTable;
  memory_vectors: MemoryVectorsTable;
  embedding_jobs: EmbeddingJobsTable;
  auth_users: AuthUsersTable;
  auth_sessions: AuthSessionsTable;
  auth_accounts: AuthAccountsTable;
  auth_verifications: AuthVerificationsTable;
  account_setup_tokens: AccountSetupTokensTable;
  oauth_signing_keys: OAuthSigningKeysTable;
  oauth_store: OAuthStoreTable;
  oauth_grants: OAuthGrantsTable;
  oauth_clients: OAuthClientsTable;
  workspace_invitations: WorkspaceInvitationsTable;
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
  /** 'full' | 'read_only' | 'paused' (CHECK); read through `toApp`, which treats anything else as paused. */
  access: ColumnType<string, string | undefined, string>;
  access_changed_at: number | null;
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

/** Every version of a memory (migration 0008): written in the same transaction as the change it records. */
export interface MemoryVersionsTable {
  memory_id: string;
  version: number;
  workspace_id: string;
  action: 'create' | 'update' | 'delete' | 'baseline';
  content: string;
  metadata: ColumnType<unknown, string, string>;
  state: string;
  at: number;
  user_id: string | null;
  app_id: string | null;
  credential_kind: string | null;
  credential_id: string | null;
  request_id: string | null;
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

/**
 * One row (id 1): audit rows older than `before_at` may be deleted (migration 0009). 0 except inside the retention
 * sweep's transaction, which raises it, deletes a batch and puts it back.
 */
export interface AuditPurgeTable {
  id: number;
  before_at: number;
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

/**
 * better-auth's tables (src/accounts): written by its Kysely adapter, which stores times as ISO-8601 TEXT and
 * booleans as 0/1 on SQLite, and as timestamptz / boolean on PostgreSQL. Cairn's own code does not write
 * them (src/accounts goes through better-auth); tests read them.
 */
export type AuthTime = string | Date;
export type AuthFlag = number | boolean;

export interface AuthUsersTable {
  /** = users.id */
  id: string;
  name: string;
  email: string;
  email_verified: AuthFlag;
  image: string | null;
  created_at: AuthTime;
  updated_at: AuthTime;
}

export interface AuthSessionsTable {
  id: string;
  user_id: string;
  token: string;
  expires_at: AuthTime;
  ip_address: string | null;
  user_agent: string | null;
  created_at: AuthTime;
  updated_at: AuthTime;
}

export interface AuthAccountsTable {
  id: string;
  user_id: string;
  /** 'credential' (password) or an upstream provider id ('oidc', 'github'). */
  provider_id: string;
  account_id: string;
  password: string | null;
  access_token: string | null;
  refresh_token: string | null;
  id_token: string | null;
  access_token_expires_at: AuthTime | null;
  refresh_token_expires_at: AuthTime | null;
  scope: string | null;
  created_at: AuthTime;
  updated_at: AuthTime;
}

export interface AuthVerificationsTable {
  id: string;
  identifier: string;
  value: string;
  expires_at: AuthTime;
  created_at: AuthTime;
  updated_at: AuthTime;
}

/** One-time setup links (first administrator, set-password); only the SHA-256 of the token is stored. */
export interface AccountSetupTokensTable {
  hash: string;
  purpose: 'first_admin' | 'set_password';
  user_id: string | null;
  expires_at: number;
  created_at: number;
}

/** ES256 key pairs that sign access tokens; `private_jwk` is encrypted (src/oauth/signing-keys.ts). */
export interface OAuthSigningKeysTable {
  kid: string;
  alg: 'ES256';
  public_jwk: string;
  private_jwk: string;
  created_at: number;
  retired_at: number | null;
}

/** What oidc-provider persists, one row per artefact (src/oauth/adapter.ts); secret ids are stored hashed. */
export interface OAuthStoreTable {
  model: string;
  id: string;
  payload: string;
  secret: string | null;
  grant_id: string | null;
  uid: string | null;
  user_code: string | null;
  expires_at: number | null;
  consumed_at: number | null;
}

/** Cairn's record of each grant a person consented to (src/oauth/grants.ts). */
export interface OAuthGrantsTable {
  id: string;
  user_id: string;
  workspace_id: string;
  app_id: string;
  client_id: string;
  client_name: string;
  scopes: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

/** Confidential clients for client_credentials (src/oauth/clients.ts). */
export interface OAuthClientsTable {
  client_id: string;
  user_id: string;
  workspace_id: string;
  app_id: string;
  name: string;
  scopes: string;
  created_at: number;
  secret_rotated_at: number | null;
  last_used_at: number | null;
}

/** Invitations to a shared workspace (migration 0010): the token's SHA-256 only, single use. */
export interface WorkspaceInvitationsTable {
  id: string;
  workspace_id: string;
  hash: string;
  role: 'owner' | 'admin' | 'member' | 'viewer';
  email: string | null;
  created_by_user_id: string;
  created_at: number;
  expires_at: number;
  accepted_at: number | null;
  accepted_by_user_id: string | null;
  revoked_at: number | null;
}
