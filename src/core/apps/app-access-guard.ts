import { AppError } from '../../errors/app-error.js';
import type { Clock } from '../clock.js';
import type { Principal } from '../principal.js';
import { TtlCache } from '../ttl-cache.js';
import type { App, AppAccess, AppStore } from '../users/user.js';

export interface AppAccessGuardOptions {
  /** How long an app's access is trusted before it is read again: how long a change takes to reach other instances. */
  readonly ttlMs: number;
  readonly maxEntries: number;
}

/**
 * Enforces app controls: a paused app can neither read nor write in its workspace, a read-only app cannot
 * write. Every memory operation asks it first (MemoryService), whatever the surface and the credential.
 *
 * Each app's access is read from the store at most once per `ttlMs` per instance and kept in memory, so
 * the hot path has no read per request and never a write. A change made on this instance applies here at
 * once (`changed`); other instances see it within `ttlMs` (the same bound as a key revocation). An app the
 * store does not know is treated as paused, and a store that cannot be read fails the request (503): never
 * access on error.
 */
export class AppAccessGuard {
  private readonly known: TtlCache<Pick<App, 'name' | 'access'>>;

  constructor(
    private readonly apps: Pick<AppStore, 'get'>,
    private readonly clock: Clock,
    options: AppAccessGuardOptions,
  ) {
    this.known = new TtlCache(options);
  }

  /** Throws APP_PAUSED, or APP_READ_ONLY for a write, unless the principal's app may do `need`. */
  async require(principal: Principal, need: 'read' | 'write'): Promise<void> {
    const app = await this.appOf(principal.workspaceId, principal.appId);
    if (app.access === 'paused') {
      throw new AppError('APP_PAUSED', `The app "${app.name}" is paused in this workspace: it can neither read nor write memories until the workspace's owner or an admin resumes it (dashboard, Connected apps).`, {
        app: app.name,
      });
    }
    if (need === 'write' && app.access === 'read_only') {
      throw new AppError('APP_READ_ONLY', `The app "${app.name}" may only read memories in this workspace; the workspace's owner or an admin can give it full access (dashboard, Connected apps).`, {
        app: app.name,
      });
    }
  }

  /** Called with every change made on this instance, so it applies here at once. */
  changed(app: App): void {
    this.known.set(key(app.workspaceId, app.id), { name: app.name, access: app.access }, this.clock.now());
  }

  private appOf(workspaceId: string, appId: string): Promise<Pick<App, 'name' | 'access'>> {
    return this.known.getOrLoad(key(workspaceId, appId), () => this.clock.now(), async () => {
      const app = await this.apps.get(workspaceId, appId);
      return app ? { name: app.name, access: app.access } : { name: appId, access: 'paused' as AppAccess };
    });
  }
}

function key(workspaceId: string, appId: string): string {
  return `${workspaceId} ${appId}`;
}
