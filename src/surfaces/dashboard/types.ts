import type { onRequestHookHandler } from 'fastify';
import type { Accounts } from '../../accounts/accounts.js';
import type { SessionUser } from '../../auth/sessions/ports.js';
import type { AuditExporter, AuditReader, AuditStore } from '../../core/audit/audit.js';
import type { AppControls } from '../../core/apps/app-controls.js';
import type { WorkspaceKeys } from '../../auth/api-keys/workspace-keys.js';
import type { WorkspaceConnections } from '../../oauth/workspace-connections.js';
import type { Clock } from '../../core/clock.js';
import type { InvitationSender } from '../../core/mail/invitation-mail.js';
import type { WorkspaceService } from '../../core/workspaces/workspace-service.js';
import type { RestApp, RouteDeps } from '../rest/types.js';

export type DashboardApp = RestApp;

/**
 * What the dashboard surface needs (app.ts passes it). It is a superset of what REST route modules use
 * because the mirrored routes are those modules themselves, registered here behind the session.
 */
export interface DashboardDeps extends RouteDeps {
  /** This surface's one authenticator, declared where it is registered (app.ts): `sessionAuthenticator`. */
  readonly authenticate: onRequestHookHandler;
  /** Browser sessions (list, sign out) and set-password links. */
  readonly accounts: Pick<Accounts, 'sessionsOf' | 'endSessions' | 'endAllSessions' | 'setPasswordLink'>;
  readonly audit: AuditReader & AuditExporter & Pick<AuditStore, 'append'>;
  readonly clock: Clock;
  /** The workspace's apps and what each may do (pause, read-only). */
  readonly appControls: AppControls;
  /** Shared workspaces: members, roles, invitations, deletion. */
  readonly workspaces: WorkspaceService;
  /** Creating invitations, and mailing them to their address when mail is configured. */
  readonly invitations: Pick<InvitationSender, 'invite'>;
  /** Every API key of the workspace, for its owners and admins. */
  readonly workspaceKeys: WorkspaceKeys;
  /** Every connected app and client-credentials client of the workspace, for its owners and admins. */
  readonly workspaceConnections: WorkspaceConnections;
  /**
   * Called after a user is disabled or enabled: drops this instance's verification caches, so their keys and
   * tokens stop (or start) working here at once; other instances follow within the cache TTL.
   */
  readonly onAccessChanged: () => void;
  /** Origins a state-changing request may come from: the public URL and CAIRN_ALLOWED_ORIGINS. */
  readonly allowedOrigins: readonly string[];
}

export type RegisterDashboardRoute = (app: DashboardApp, deps: DashboardDeps) => void;

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in person behind a dashboard request, set by the dashboard's authenticator. */
    dashboardSession?: SessionUser;
  }
}
