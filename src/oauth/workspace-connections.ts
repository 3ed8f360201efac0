import { principalEvent } from '../core/audit/audit.js';
import type { Clock } from '../core/clock.js';
import type { Principal } from '../core/principal.js';
import type { UserStore } from '../core/users/user.js';
import { requireManager, type CredentialHolder } from '../core/workspaces/managers.js';
import type { ClientCredentialsClients, ClientView } from './clients.js';
import type { GrantRecord, OAuthGrants } from './grants.js';

/**
 * The OAuth side of a workspace, managed by its owners and admins (issue 5): every connected app (grant)
 * and client-credentials client acting in the principal's workspace, whoever holds it, and disconnecting or
 * deleting any of them. As with WorkspaceKeys: a member or viewer is 403, another workspace's grant or
 * client is 404, each change is audited with the admin as its user and credential (`oauth_grant.revoke`,
 * `oauth_client.delete`, `byAdmin: true`), and the tokens issued under it stop at once on this instance.
 */
export class WorkspaceConnections {
  constructor(
    private readonly grants: Pick<OAuthGrants, 'listInWorkspace' | 'revokeInWorkspace' | 'redirectHosts'>,
    private readonly clients: Pick<ClientCredentialsClients, 'listInWorkspace' | 'deleteInWorkspace'>,
    private readonly users: Pick<UserStore, 'roleIn'>,
    private readonly clock: Clock,
  ) {}

  async connections(principal: Principal): Promise<{ grants: (GrantRecord & { holder: CredentialHolder })[]; redirectHosts: Map<string, string[]> }> {
    await requireManager(this.users, principal, 'see every connected app of the workspace');
    const grants = await this.grants.listInWorkspace(principal.workspaceId);
    return { grants, redirectHosts: await this.grants.redirectHosts([...new Set(grants.map((g) => g.clientId))]) };
  }

  async disconnect(principal: Principal, grantId: string): Promise<void> {
    await requireManager(this.users, principal, "disconnect another member's app");
    await this.grants.revokeInWorkspace(principal.workspaceId, grantId, (g) =>
      principalEvent(principal, 'oauth_grant.revoke', g.id, this.clock.now(), { holder: g.userId, client: g.clientName, clientId: g.clientId, byAdmin: true }),
    );
  }

  async machineClients(principal: Principal): Promise<(ClientView & { holder: CredentialHolder })[]> {
    await requireManager(this.users, principal, 'see every client of the workspace');
    return this.clients.listInWorkspace(principal.workspaceId);
  }

  async deleteClient(principal: Principal, clientId: string): Promise<void> {
    await requireManager(this.users, principal, "delete another member's client");
    await this.clients.deleteInWorkspace(principal.workspaceId, clientId, (c) =>
      principalEvent(principal, 'oauth_client.delete', c.id, this.clock.now(), { holder: c.userId, name: c.name, byAdmin: true }),
    );
  }
}
