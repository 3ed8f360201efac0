import { AppError, notFound } from '../../errors/app-error.js';
import type { Clock } from '../clock.js';
import type { Principal } from '../principal.js';
import { TtlCache } from '../ttl-cache.js';
import type { Role, UserStore } from '../users/user.js';

export interface RoleGuardOptions {
  /** How long a role is trusted before it is read again: how long a change takes to reach other instances. */
  readonly ttlMs: number;
  readonly maxEntries: number;
}

/** Roles that may write (create, update, delete) memories. */
const WRITERS: readonly Role[] = ['owner', 'admin', 'member'];

/**
 * Enforces roles on memories: a viewer reads and never writes, on every surface and with every credential
 * (MemoryService asks it, beside the app controls, before every memory operation). A principal that is no
 * longer a member of its workspace is refused as if the workspace did not exist (NOT_FOUND).
 *
 * Each (user, workspace) role is read at most once per `ttlMs` per instance, as app access and credentials
 * are; a change made on this instance applies here at once (`changed`), other instances follow within
 * `ttlMs`. A store that cannot be read fails the request (503): never access on error.
 */
export class RoleGuard {
  private readonly known: TtlCache<Role | undefined>;

  constructor(
    private readonly users: Pick<UserStore, 'roleIn'>,
    private readonly clock: Clock,
    options: RoleGuardOptions,
  ) {
    this.known = new TtlCache(options);
  }

  /** The principal's role in its workspace; throws NOT_FOUND without one, FORBIDDEN for a viewer's write. */
  async require(principal: Principal, need: 'read' | 'write'): Promise<Role> {
    const role = await this.roleOf(principal.userId, principal.workspaceId);
    if (!role) throw notFound('Workspace');
    if (need === 'write' && !WRITERS.includes(role)) {
      throw new AppError('FORBIDDEN', `Your role in this workspace (${role}) allows reading only.`, { role });
    }
    return role;
  }

  /** Called with every role change (undefined: the membership ended) made on this instance. */
  changed(userId: string, workspaceId: string, role: Role | undefined): void {
    this.known.set(key(userId, workspaceId), role, this.clock.now());
  }

  /** Called when a workspace is deleted on this instance: every membership in it ended. */
  workspaceDeleted(workspaceId: string): void {
    for (const k of [...this.known.keys()]) if (k.startsWith(`${workspaceId} `)) this.known.set(k, undefined, this.clock.now());
  }

  private roleOf(userId: string, workspaceId: string): Promise<Role | undefined> {
    return this.known.getOrLoad(key(userId, workspaceId), () => this.clock.now(), () => this.users.roleIn(userId, workspaceId));
  }
}

function key(userId: string, workspaceId: string): string {
  return `${workspaceId} ${userId}`;
}

/** The one check MemoryService makes before every operation: the principal's role, then its app's access. */
export function memoryAccessGuard(
  roles: Pick<RoleGuard, 'require'>,
  apps: { require(principal: Principal, need: 'read' | 'write'): Promise<void> },
): { require(principal: Principal, need: 'read' | 'write'): Promise<void> } {
  return {
    async require(principal, need) {
      await roles.require(principal, need);
      await apps.require(principal, need);
    },
  };
}
