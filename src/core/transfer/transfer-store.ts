import type { AuditEvent } from '../audit/audit.js';
import type { WorkspaceScope } from '../memories/memory-store.js';
import type { AppAccess } from '../users/user.js';
import type { ExportApp, ExportMemory, ExportVersion, ImportMemory } from './format.js';

/** Where the next export page starts: after this memory in (createdAt, id) order. */
export interface ExportCursor {
  readonly createdAt: number;
  readonly id: string;
}

export interface ImportPlan {
  readonly apps: readonly ExportApp[];
  readonly memories: readonly ImportMemory[];
  /** Who a memory or version is attributed to when its author is not a member of the workspace (the importer). */
  readonly fallbackUserId: string;
  /** The app of memories whose source names none (the importer's app). */
  readonly fallbackAppId: string;
  readonly now: number;
}

export interface ImportOutcome {
  readonly created: number;
  /** Memories whose id (or derived id) the workspace already has: left as they are. */
  readonly unchanged: number;
  /** Memories whose content a live memory of the workspace already has. */
  readonly duplicates: number;
  /** Memories whose author is not a member of the workspace: attributed to the importer. */
  readonly reattributed: number;
  readonly apps: readonly { readonly name: string; readonly access: AppAccess; readonly created: boolean }[];
}

/**
 * The storage port of export and import. Every method is scoped by `scope.workspaceId`; the one thing it
 * looks at outside the workspace is whether a memory id is taken at all (ids are unique across the server),
 * and it never says by whom.
 */
export interface TransferStore {
  /** The workspace's apps, by name. */
  apps(scope: WorkspaceScope): Promise<ExportApp[]>;
  /** Up to `limit` memories (any state) after `after`, in (createdAt, id) order, with author email and app name. */
  memoriesPage(scope: WorkspaceScope, after: ExportCursor | null, limit: number): Promise<ExportMemory[]>;
  /** The versions of the workspace's memories `ids`, per memory in version order. */
  versionsOf(scope: WorkspaceScope, ids: readonly string[]): Promise<Map<string, ExportVersion[]>>;
  appendAudit(event: AuditEvent): Promise<void>;
  /**
   * Writes the plan in one transaction, with `audit(outcome)` appended in it: all of it or nothing.
   * `progress(done)` hears how many memories of the plan have been handled so far.
   */
  importAll(scope: WorkspaceScope, plan: ImportPlan, audit: (outcome: ImportOutcome) => AuditEvent, progress?: (done: number) => void): Promise<ImportOutcome>;
}
