import type { AuditEvent } from '../../core/audit/audit.js';
import type { Role } from '../../core/users/user.js';
import type { Scope } from '../../core/scopes.js';

export interface ApiKeyRecord {
  readonly id: string;
  readonly userId: string;
  readonly workspaceId: string;
  readonly appId: string;
  readonly name: string;
  readonly prefix: string;
  readonly hash: string;
  readonly scopes: readonly Scope[];
  readonly createdAt: number;
  readonly expiresAt: number | null;
  readonly revokedAt: number | null;
  readonly lastUsedAt: number | null;
  readonly usageCount: number;
  readonly rotatedTo: string | null;
}

/** What verification needs beyond the key row: is the owner still allowed into the key's workspace? */
export interface ApiKeyAuthRecord extends ApiKeyRecord {
  readonly userDisabledAt: number | null;
  /** Undefined when the user is no longer a member of the key's workspace. */
  readonly role: Role | undefined;
}

/** A key as the workspace's owners and admins see it: with who holds it (and their role there now, if any). */
export interface WorkspaceKeyRecord extends ApiKeyRecord {
  readonly holder: { readonly email: string; readonly name: string | null; readonly role: Role | null };
}

export interface UsageDelta {
  readonly keyId: string;
  readonly count: number;
  readonly lastUsedAt: number;
}

export interface ApiKeyStore {
  insert(record: Omit<ApiKeyRecord, 'lastUsedAt' | 'usageCount' | 'rotatedTo'>, audit: AuditEvent): Promise<void>;
  findForAuth(hash: string): Promise<ApiKeyAuthRecord | undefined>;
  /** The user's keys in one workspace, newest first. */
  list(userId: string, workspaceId: string): Promise<ApiKeyRecord[]>;
  get(userId: string, workspaceId: string, id: string): Promise<ApiKeyRecord | undefined>;
  /** Every key acting in one workspace, whoever holds it, newest first (workspace administration). */
  listInWorkspace(workspaceId: string): Promise<WorkspaceKeyRecord[]>;
  /** One key of the workspace, whoever holds it; undefined for a key of another workspace. */
  getInWorkspace(workspaceId: string, id: string): Promise<WorkspaceKeyRecord | undefined>;
  /** Sets revoked_at if not yet revoked. Returns false when no such key. */
  revoke(userId: string, workspaceId: string, id: string, now: number, audit: AuditEvent): Promise<boolean>;
  /** Inserts the replacement and shortens the old key's life to `oldExpiresAt`, in one transaction. */
  rotate(oldId: string, oldExpiresAt: number, replacement: Omit<ApiKeyRecord, 'lastUsedAt' | 'usageCount' | 'rotatedTo'>, audit: AuditEvent): Promise<void>;
  /** Adds usage counts and advances last_used_at, in one transaction. */
  applyUsage(deltas: readonly UsageDelta[]): Promise<void>;
}
