import { me } from '../rest/routes/me.js';
import { memoriesBulkDelete } from '../rest/routes/memories.bulk-delete.js';
import { exportWorkspace } from '../rest/routes/export.js';
import { importWorkspace } from '../rest/routes/import.js';
import { dashboardExport } from './routes/export.js';
import { authenticatedRoutes } from '../rest/routes.js';
import { appsList } from './routes/apps.list.js';
import { appsSetAccess } from './routes/apps.set-access.js';
import { activityDaily } from './routes/activity.daily.js';
import { activityExport } from './routes/activity.export.js';
import { activityList } from './routes/activity.list.js';
import { adminUsersSetDisabled } from './routes/admin-users.disable.js';
import { adminUsersList } from './routes/admin-users.list.js';
import { adminUsersPasswordReset } from './routes/admin-users.password-reset.js';
import { connect } from './routes/connect.js';
import { dashboardMe } from './routes/me.js';
import { memoriesBulkUpdate } from './routes/memories.bulk-update.js';
import { memoriesFacets } from './routes/memories.facets.js';
import { sessionsList } from './routes/sessions.list.js';
import { sessionsRevokeOthers } from './routes/sessions.revoke-others.js';
import { sessionsRevoke } from './routes/sessions.revoke.js';
import { workspacesCreate } from './routes/workspaces.create.js';
import { membersList } from './routes/members.list.js';
import { membersSetRole } from './routes/members.set-role.js';
import { membersRemove } from './routes/members.remove.js';
import { invitationsList } from './routes/invitations.list.js';
import { invitationsCreate } from './routes/invitations.create.js';
import { invitationsRevoke } from './routes/invitations.revoke.js';
import { invitationsInspect } from './routes/invitations.inspect.js';
import { invitationsAccept } from './routes/invitations.accept.js';
import { workspaceDelete } from './routes/workspace.delete.js';
import { workspaceTransfer } from './routes/workspace.transfer.js';
import { workspaceKeysList } from './routes/workspace-keys.list.js';
import { workspaceKeysRevoke } from './routes/workspace-keys.revoke.js';
import { workspaceConnectionsList } from './routes/workspace-connections.list.js';
import { workspaceConnectionsRevoke } from './routes/workspace-connections.revoke.js';
import { workspaceOAuthClientsList } from './routes/workspace-oauth-clients.list.js';
import { workspaceOAuthClientsDelete } from './routes/workspace-oauth-clients.delete.js';
import type { RegisterDashboardRoute } from './types.js';

/**
 * The REST routes the dashboard mirrors: the same modules, so a route takes and returns the same thing on
 * both surfaces. `me` is the dashboard's own (it describes a person, not a credential), and bulk-delete is
 * replaced by bulk-update (which can also restore). Import is mirrored as it is (its own context with raw-stream
 * body parsers up to CAIRN_IMPORT_MAX_BYTES; the dashboard's CSRF rule is an onRequest hook, so it refuses a
 * cross-site upload before the body is read). Export is the dashboard's own, to name the file after the workspace
 * (the same handler).
 */
const NOT_MIRRORED = new Set<RegisterDashboardRoute>([me, memoriesBulkDelete, exportWorkspace]);

export const mirroredRestRoutes: readonly RegisterDashboardRoute[] = authenticatedRoutes.filter((r) => !NOT_MIRRORED.has(r));

/** Routes only the dashboard has. The auth matrix test enumerates the registered routes and fails on any without a row. */
export const dashboardRoutes: readonly RegisterDashboardRoute[] = [
  dashboardMe,
  memoriesBulkUpdate,
  memoriesFacets,
  sessionsList,
  sessionsRevoke,
  sessionsRevokeOthers,
  activityList,
  activityDaily,
  activityExport,
  dashboardExport,
  connect,
  appsList,
  appsSetAccess,
  adminUsersList,
  adminUsersSetDisabled,
  adminUsersPasswordReset,
  workspacesCreate,
  membersList,
  membersSetRole,
  membersRemove,
  invitationsList,
  invitationsCreate,
  invitationsRevoke,
  invitationsInspect,
  invitationsAccept,
  workspaceDelete,
  workspaceTransfer,
  workspaceKeysList,
  workspaceKeysRevoke,
  workspaceConnectionsList,
  workspaceConnectionsRevoke,
  workspaceOAuthClientsList,
  workspaceOAuthClientsDelete,
];
