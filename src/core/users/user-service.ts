import { AppError, notFound } from '../../errors/app-error.js';
import type { Clock } from '../clock.js';
import { newId } from '../ids.js';
import type { Principal } from '../principal.js';
import type { Role, User, UserActivity, UserStore, Workspace } from './user.js';

/** Who administers: the principal of the administrator's request. */
export type UserActor = Pick<Principal, 'userId' | 'workspaceId' | 'credential' | 'appId' | 'requestId'>;

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** Who created a user, as recorded in the audit log's credential kind. */
export type UserCreator = 'cli' | 'setup' | 'signup' | 'upstream';

/** Account administration (CLI today; the dashboard and first-run setup later). */
export class UserService {
  constructor(
    private readonly users: UserStore,
    private readonly clock: Clock,
  ) {}

  /**
   * Creates a user with a personal workspace. A taken email is a CONFLICT with a clear message, never a crash.
   * `via` says who created it, for the audit log: the CLI (default), the first-run setup link, a person
   * signing up with a password, or a first sign-in through an upstream provider.
   */
  async create(input: { email: string; name?: string | null; isAdmin?: boolean; via?: UserCreator }): Promise<{ user: User; workspace: Workspace }> {
    const email = normaliseEmail(input.email);
    if (!EMAIL.test(email) || email.length > 320) throw new AppError('INVALID_INPUT', `"${input.email}" is not an email address.`, { field: 'email' });
    const now = this.clock.now();
    const via = input.via ?? 'cli';
    const user: User = { id: newId('usr', now), email, name: input.name?.trim() || null, isAdmin: input.isAdmin ?? false, disabledAt: null, createdAt: now };
    const workspace: Workspace = { id: newId('ws', now), name: `${user.name ?? email}'s memory`, kind: 'personal', createdAt: now };
    const outcome = await this.users.createWithPersonalWorkspace(user, workspace, {
      at: now,
      workspaceId: workspace.id,
      userId: user.id,
      credentialKind: via === 'cli' ? 'cli' : 'browser',
      credentialId: null,
      appId: null,
      action: 'user.create',
      targetId: user.id,
      requestId: null,
      detail: via === 'cli' ? { admin: user.isAdmin } : { admin: user.isAdmin, via },
    });
    if (outcome === 'email_taken') throw new AppError('CONFLICT', `A user with the email ${email} already exists.`, { field: 'email' });
    return { user, workspace };
  }

  async byEmail(email: string): Promise<User> {
    const user = await this.users.findByEmail(normaliseEmail(email));
    if (!user) throw notFound(`User ${normaliseEmail(email)}`);
    return user;
  }

  /** The user with this id, or undefined (no NOT_FOUND: callers such as session checks treat absence as "no access"). */
  byId(id: string): Promise<User | undefined> {
    return this.users.findById(id);
  }

  list(): Promise<User[]> {
    return this.users.list();
  }

  workspacesOf(userId: string): Promise<(Workspace & { role: Role })[]> {
    return this.users.workspacesOf(userId);
  }

  /** The user and workspace behind a principal; both must exist (the credential was just verified). */
  async describe(userId: string, workspaceId: string): Promise<{ user: User; workspace: Workspace & { role: Role } }> {
    const [user, workspaces] = await Promise.all([this.users.findById(userId), this.users.workspacesOf(userId)]);
    const workspace = workspaces.find((w) => w.id === workspaceId);
    if (!user || !workspace) throw notFound('User');
    return { user, workspace };
  }

  /** Every user with their memory count and latest activity (the dashboard's admin page). */
  async listWithActivity(): Promise<(User & UserActivity)[]> {
    const [users, activity] = await Promise.all([this.users.list(), this.users.activity()]);
    return users.map((u) => ({ ...u, memoryCount: activity.get(u.id)?.memoryCount ?? 0, lastActiveAt: activity.get(u.id)?.lastActiveAt ?? null }));
  }

  /**
   * Disables or re-enables `targetId`, recorded as done by `actor`. Disabled users' sessions are refused
   * (and deleted) by the session reader, and their keys and tokens by the verifiers once their cache entry
   * ages out. An administrator cannot disable themself (there would be no one left to undo it).
   */
  async setDisabled(actor: UserActor, targetId: string, disabled: boolean): Promise<User> {
    if (disabled && actor.userId === targetId) throw new AppError('CONFLICT', 'You cannot disable your own account.');
    const target = await this.users.findById(targetId);
    if (!target) throw notFound('User');
    if ((target.disabledAt !== null) === disabled) return target;
    const now = this.clock.now();
    const ok = await this.users.setDisabled(targetId, disabled ? now : null, {
      at: now,
      workspaceId: actor.workspaceId,
      userId: actor.userId,
      credentialKind: actor.credential.kind,
      credentialId: actor.credential.id,
      appId: actor.appId,
      action: disabled ? 'user.disable' : 'user.enable',
      targetId,
      requestId: actor.requestId ?? null,
      detail: { email: target.email },
    });
    if (!ok) throw notFound('User');
    return { ...target, disabledAt: disabled ? now : null };
  }

  /** The workspace a new credential acts in: the one named (if the user is a member) or the personal one. */
  async resolveWorkspace(userId: string, workspaceId?: string): Promise<Workspace & { role: Role }> {
    const all = await this.users.workspacesOf(userId);
    const chosen = workspaceId ? all.find((w) => w.id === workspaceId) : all.find((w) => w.kind === 'personal') ?? all[0];
    if (!chosen) throw notFound('Workspace');
    return chosen;
  }
}
