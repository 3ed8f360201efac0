import { AppError } from '../../errors/app-error.js';
import type { Clock } from '../clock.js';
import type { Principal } from '../principal.js';
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
  private readonly known = new Map<string, { readonly app: Pick<App, 'name' | 'access'>; readonly at: number }>();

  constructor(
    private readonly apps: Pick<AppStore, 'get'>,
    private readonly clock: Clock,
    private readonly options: AppAccessGuardOptions,
  ) {}

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
    this.remember(app.workspaceId, app.id, { name: app.name, access: app.access });
  }

  private async appOf(workspaceId: string, appId: string): Promise<Pick<App, 'name' | 'access'>> {
    const now = this.clock.now();
    const hit = this.known.get(key(workspaceId, appId));
    if (hit && now - hit.at < this.options.ttlMs) return hit.app;
    const app = await this.apps.get(workspaceId, appId);
    const seen: { name: string; access: AppAccess } = app ? { name: app.name, access: app.access } : { name: appId, access: 'paused' };
    this.remember(workspaceId, appId, seen);
    return seen;
  }

  private remember(workspaceId: string, appId: string, app: Pick<App, 'name' | 'access'>): void {
    if (this.known.size >= this.options.maxEntries) this.known.clear();
    this.known.set(key(workspaceId, appId), { app, at: this.clock.now() });
  }
}

function key(workspaceId: string, appId: string): string {
  return `${workspaceId} ${appId}`;
}
