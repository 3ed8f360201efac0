import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SessionReader, SessionUser } from '../../auth/sessions/ports.js';
import { DASHBOARD_APP_NAME } from '../../core/apps/app-controls.js';
import type { Clock } from '../../core/clock.js';
import type { Principal } from '../../core/principal.js';
import { SCOPES } from '../../core/scopes.js';
import type { AppStore } from '../../core/users/user.js';
import type { UserService } from '../../core/users/user-service.js';
import { AppError } from '../../errors/app-error.js';

/** Everything a dashboard session may do in its workspace: every memory scope and key management. */
const DASHBOARD_SCOPES = new Set(SCOPES);

/**
 * The CSRF rule, an onRequest hook that runs before the authenticator and before any body is read: a
 * request that can change something (anything but GET/HEAD) must come from a page of this server (Origin)
 * and carry `X-Cairn-Dashboard: 1`, a custom header a cross-site form or a simple request cannot send.
 */
export function dashboardCsrf(allowedOrigins: readonly string[]) {
  const allowed = new Set(allowedOrigins);
  return async function checkOrigin(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
    if (request.method === 'GET' || request.method === 'HEAD') return;
    const origin = request.headers.origin;
    if (typeof origin !== 'string' || !allowed.has(origin)) {
      throw new AppError('FORBIDDEN_ORIGIN', 'A dashboard request that changes something must come from a dashboard page (Origin).');
    }
    if (request.headers['x-cairn-dashboard'] !== '1') {
      throw new AppError('FORBIDDEN_ORIGIN', 'A dashboard request that changes something must carry X-Cairn-Dashboard: 1.');
    }
  };
}

export interface SessionAuthenticatorDeps {
  readonly sessions: SessionReader;
  readonly users: Pick<UserService, 'resolveWorkspace'>;
  readonly apps: AppStore;
  readonly clock: Clock;
}

/**
 * The dashboard's own way in: the browser session cookie, read through the `SessionReader` port (which
 * refuses disabled users and fails closed with 503). API keys and access tokens are refused outright, so a
 * script holding a key cannot reach the dashboard's routes and the session is the only credential here.
 * The workspace is the person's personal one, or the one `X-Cairn-Workspace` names when they are a member
 * (404 otherwise); nothing else in the request says who the caller is.
 */
export function sessionAuthenticator(deps: SessionAuthenticatorDeps) {
  // Apps are never renamed or removed, so the Dashboard app id of a workspace can be remembered.
  const dashboardApps = new Map<string, string>();
  const appIdFor = async (workspaceId: string): Promise<string> => {
    const known = dashboardApps.get(workspaceId);
    if (known) return known;
    const app = await deps.apps.ensure(workspaceId, DASHBOARD_APP_NAME, deps.clock.now());
    dashboardApps.set(workspaceId, app.id);
    return app.id;
  };
  return async function authenticateSession(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
    const loginUrl = deps.sessions.loginPath('/');
    if (request.headers.authorization !== undefined || request.headers['x-api-key'] !== undefined) {
      throw new AppError('UNAUTHENTICATED', 'The dashboard accepts only the browser session; API keys and access tokens are for /api and /mcp.', { loginUrl });
    }
    const session = await deps.sessions.fromHeaders(request.headers);
    if (!session) throw new AppError('UNAUTHENTICATED', 'Sign in to use the dashboard.', { loginUrl });
    const named = request.headers['x-cairn-workspace'];
    if (Array.isArray(named)) throw new AppError('INVALID_INPUT', 'Send X-Cairn-Workspace once.', { field: 'x-cairn-workspace' });
    const workspace = await deps.users.resolveWorkspace(session.userId, named === undefined || named === '' ? undefined : named);
    request.dashboardSession = session;
    request.principal = principalFor(session, workspace.id, await appIdFor(workspace.id), request.id);
  };
}

function principalFor(session: SessionUser, workspaceId: string, appId: string, requestId: string): Principal {
  return { userId: session.userId, workspaceId, scopes: DASHBOARD_SCOPES, credential: { kind: 'session', id: session.sessionId }, appId, requestId };
}

/** The signed-in person; a dashboard route that runs without one is a wiring bug (500). */
export function sessionOf(request: FastifyRequest): SessionUser {
  if (!request.dashboardSession) throw new Error(`route ${request.routeOptions.url} ran without a dashboard session`);
  return request.dashboardSession;
}

/** Administration routes: the person must be a Cairn administrator (the `admin` scope is key management, not this). */
export function requireAdministrator(request: FastifyRequest): SessionUser {
  const session = sessionOf(request);
  if (!session.isAdmin) throw new AppError('INSUFFICIENT_SCOPE', 'Only administrators can manage users.', { requiredRole: 'admin' });
  return session;
}
