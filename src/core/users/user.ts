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

export interface App {
  readonly id: string;
  readonly workspaceId: string;
  readonly name: string;
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
}
