import { AppError, notFound } from '../../errors/app-error.js';
import { credentialEvent } from '../audit/audit.js';
import type { Clock } from '../clock.js';
import type { Principal } from '../principal.js';
import type { App, AppAccess, AppStore, Role, UserStore } from '../users/user.js';
import { assertManager, MANAGERS } from '../workspaces/managers.js';
import type { AppAccessGuard } from './app-access-guard.js';

/** The app the dashboard itself writes as (one per workspace): it cannot be paused or limited. */
export const DASHBOARD_APP_NAME = 'Dashboard';


/**
 * App controls (issue 5): the apps of the principal's workspace, and changing what one may do. Anyone in
 * the workspace may see them; only its owner or an admin may change them. Every change is audited and
 * applies on this instance at once (`AppAccessGuard.changed`).
 */
export class AppControls {
  constructor(
    private readonly apps: AppStore,
    private readonly users: Pick<UserStore, 'roleIn'>,
    private readonly guard: Pick<AppAccessGuard, 'changed'>,
    private readonly clock: Clock,
  ) {}

  async list(principal: Principal): Promise<{ apps: App[]; canManage: boolean }> {
    const role = await this.roleOf(principal);
    return { apps: await this.apps.list(principal.workspaceId), canManage: MANAGERS.includes(role) };
  }

  async setAccess(principal: Principal, appId: string, access: AppAccess): Promise<App> {
    const role = await this.roleOf(principal);
    assertManager(role, 'change what an app may do');
    const app = await this.apps.get(principal.workspaceId, appId);
    if (!app) throw notFound('App');
    if (app.name === DASHBOARD_APP_NAME) {
      throw new AppError('INVALID_INPUT', 'The dashboard cannot be paused or limited: it is where the workspace is managed.', { field: 'access' });
    }
    const now = this.clock.now();
    const actor = { kind: principal.credential.kind, credentialId: principal.credential.id, requestId: principal.requestId ?? null };
    const event = credentialEvent('app.access', principal, actor, app.id, now, { app: app.name, from: app.access, to: access }, principal.appId);
    const changed = await this.apps.setAccess(principal.workspaceId, appId, access, now, event);
    if (!changed) throw notFound('App');
    this.guard.changed(changed);
    return changed;
  }

  private async roleOf(principal: Principal): Promise<Role> {
    const role = await this.users.roleIn(principal.userId, principal.workspaceId);
    // A principal always acts in a workspace it belongs to; one that no longer does sees nothing.
    if (!role) throw notFound('Workspace');
    return role;
  }
}
