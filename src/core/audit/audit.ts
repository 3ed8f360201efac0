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
  | 'oauth_client.delete'
  | 'session.revoke'
  | 'user.disable'
  | 'user.enable'
  | 'user.password_link'
  | 'app.access'
  /** One retention sweep that purged something (workspace null): how many deleted memories and audit events. */
  | 'retention.purge'
  | 'memories.export'
  | 'memories.import'

  | 'workspace.create'
  | 'workspace.delete'
  | 'member.role'
  | 'member.remove'
  | 'invitation.create'
  | 'invitation.accept'
  | 'invitation.revoke';

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

/** Who did a credential or account change: the credential that asked (or the CLI), and the request. */
export interface CredentialActor {
  readonly kind: CredentialKind | 'cli';
  readonly credentialId: string | null;
  readonly requestId?: string | null;
}

/**
 * The audit event of a change made by `actor` to something `owner` holds (a key, a client, a grant). One
 * builder, so every credential event records the same fields the same way.
 */
export function credentialEvent(
  action: AuditAction,
  owner: { readonly userId: string; readonly workspaceId: string },
  actor: CredentialActor | null,
  targetId: string,
  at: number,
  detail: Record<string, unknown> | null = null,
  appId: string | null = null,
): AuditEvent {
  return {
    at,
    workspaceId: owner.workspaceId,
    userId: owner.userId,
    credentialKind: actor?.kind ?? null,
    credentialId: actor?.credentialId ?? null,
    appId,
    action,
    targetId,
    requestId: actor?.requestId ?? null,
    detail,
  };
}

/** Who did something, as a principal (or the CLI acting for a member) records it in the log. */
export interface AuditActor {
  readonly userId: string;
  readonly workspaceId: string;
  readonly credential: { readonly kind: CredentialKind | 'cli'; readonly id: string | null };
  readonly appId: string | null;
  readonly requestId?: string;
}

/** The audit event of something `p` did itself (a memory operation, an export, an import). */
export function principalEvent(p: AuditActor, action: AuditAction, targetId: string | null, at: number, detail: Record<string, unknown> | null = null): AuditEvent {
  return {
    at,
    workspaceId: p.workspaceId,
    userId: p.userId,
    credentialKind: p.credential.kind,
    credentialId: p.credential.id,
    appId: p.appId,
    action,
    targetId,
    requestId: p.requestId ?? null,
    detail,
  };
}

/** The append-only log port. Appends never update or delete; the storage adds triggers that refuse both. */
export interface AuditStore {
  append(events: readonly AuditEvent[]): Promise<void>;
  /** Newest first, for one workspace. */
  listForWorkspace(workspaceId: string, limit: number): Promise<(AuditEvent & { id: number })[]>;
}

export interface AuditQuery {
  readonly action?: string;
  readonly appId?: string;
  readonly credentialId?: string;
  /** Inclusive lower bound on `at` (ms). */
  readonly since?: number;
  /** Exclusive upper bound on `at` (ms). */
  readonly until?: number;
  /** Only events older than this id (the previous page's last). */
  readonly beforeId?: number;
  readonly limit: number;
}

/** The dashboard's view of the log: filtered pages of one workspace, and per-day counts per app. */
export interface AuditReader {
  query(workspaceId: string, q: AuditQuery): Promise<(AuditEvent & { id: number; appName: string | null })[]>;
  /** Events per UTC day (days since the epoch) and app, at or after `since`; events without an app are left out. */
  dailyByApp(workspaceId: string, since: number): Promise<{ day: number; appId: string; appName: string; count: number }[]>;
}

/** A slice of the log for export: one workspace's events (or, for the operator, every event), oldest first. */
export interface AuditExportQuery {
  /** Undefined: every workspace's events and the server's own (`cairn audit export` without --workspace). */
  readonly workspaceId?: string;
  /** Inclusive lower bound on `at` (ms). */
  readonly since?: number;
  /** Exclusive upper bound on `at` (ms). */
  readonly until?: number;
  /** Only events after this one in (at, id) order: the previous page's last. */
  readonly after?: { readonly at: number; readonly id: number };
  readonly limit: number;
}

export interface AuditExporter {
  /** One page of events in (at, id) order, oldest first, with their app's name. */
  exportPage(q: AuditExportQuery): Promise<(AuditEvent & { id: number; appName: string | null })[]>;
}

/**
 * Reads are logged off the request path: events are buffered and appended in batches (and at shutdown),
 * so a read costs no database write. Mutations are logged in their own transaction instead.
 */
export interface AccessLog {
  record(event: AuditEvent): void;
}
