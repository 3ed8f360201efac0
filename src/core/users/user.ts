import type { AuditEvent } from '../audit/audit.js';

export const ROLES = ['owner', 'admin', 'member', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export interface User {
  readonly id: string;
  readonly email: string;
  readonly name: string | null;
  readonly isAdmin: boolean;
  readonly disabledAt: number | null;
  readonly createdAt: number;
}

export interface Workspace {
  readonly id: string;
  readonly name: string;
  readonly kind: 'personal' | 'shared';
  readonly createdAt: number;
}

/** What an app may do in its workspace: `full` (read and write), `read_only`, or `paused` (nothing). */
export const APP_ACCESS = ['full', 'read_only', 'paused'] as const;
export type AppAccess = (typeof APP_ACCESS)[number];

export interface App {
  readonly id: string;
  readonly workspaceId: string;
  readonly name: string;
  readonly access: AppAccess;
  /** When `access` last changed; null when it never has. */
  readonly accessChangedAt: number | null;
  readonly createdAt: number;
}

/** Users, their workspaces and memberships. */
export interface UserStore {
  /** Creates the user, a personal workspace and the owner membership in one transaction. */
  createWithPersonalWorkspace(user: User, workspace: Workspace, audit: AuditEvent): Promise<'created' | 'email_taken'>;
  findByEmail(email: string): Promise<User | undefined>;
  findById(id: string): Promise<User | undefined>;
  list(): Promise<User[]>;
  workspacesOf(userId: string): Promise<(Workspace & { role: Role })[]>;
  roleIn(userId: string, workspaceId: string): Promise<Role | undefined>;
  /** Sets or clears `disabledAt` and appends `audit` in one transaction; false when there is no such user. */
  setDisabled(id: string, disabledAt: number | null, audit: AuditEvent): Promise<boolean>;
  /** Per user: memories authored (not deleted) and the time of their latest audit-log event. */
  activity(): Promise<Map<string, UserActivity>>;
}

export interface UserActivity {
  readonly memoryCount: number;
  readonly lastActiveAt: number | null;
}

/** Apps are created on first use and never change name; one per (workspace, name). */
export interface AppStore {
  ensure(workspaceId: string, name: string, now: number): Promise<App>;
  get(workspaceId: string, id: string): Promise<App | undefined>;
  list(workspaceId: string): Promise<App[]>;
  /** Sets the app's access and appends `audit` in one transaction; undefined when the workspace has no such app. */
  setAccess(workspaceId: string, id: string, access: AppAccess, now: number, audit: AuditEvent): Promise<App | undefined>;
}
