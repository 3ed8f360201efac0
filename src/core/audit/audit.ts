import type { CredentialKind } from '../principal.js';

/** Actions recorded in the append-only audit/access log. Stable strings: they are stored. */
export type AuditAction =
  | 'memory.create'
  | 'memory.read'
  | 'memory.list'
  | 'memory.search'
  | 'memory.update'
  | 'memory.delete'
  | 'memory.bulk_delete'
  | 'key.create'
  | 'key.revoke'
  | 'key.rotate'
  | 'user.create'
  | 'oauth_grant.create'
  | 'oauth_grant.revoke'
  | 'oauth_client.create'
  | 'oauth_client.rotate'
  | 'oauth_client.delete';

export interface AuditEvent {
  readonly at: number;
  readonly workspaceId: string | null;
  readonly userId: string | null;
  /** 'browser': a person on the account pages (first-run setup, sign-up, first upstream sign-in). */
  readonly credentialKind: CredentialKind | 'cli' | 'browser' | null;
  readonly credentialId: string | null;
  readonly appId: string | null;
  readonly action: AuditAction;
  readonly targetId: string | null;
  readonly requestId: string | null;
  readonly detail: Record<string, unknown> | null;
}

/** The append-only log port. Appends never update or delete; the storage adds triggers that refuse both. */
export interface AuditStore {
  append(events: readonly AuditEvent[]): Promise<void>;
  /** Newest first, for one workspace. */
  listForWorkspace(workspaceId: string, limit: number): Promise<(AuditEvent & { id: number })[]>;
}

/**
 * Reads are logged off the request path: events are buffered and appended in batches (and at shutdown),
 * so a read costs no database write. Mutations are logged in their own transaction instead.
 */
export interface AccessLog {
  record(event: AuditEvent): void;
}
