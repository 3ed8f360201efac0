import { principalEvent } from '../../core/audit/audit.js';
import type { Clock } from '../../core/clock.js';
import type { Principal } from '../../core/principal.js';
import type { UserStore } from '../../core/users/user.js';
import { requireManager, type CredentialHolder } from '../../core/workspaces/managers.js';
import { notFound } from '../../errors/app-error.js';
import { toView, type ApiKeyView } from './api-key-service.js';
import type { ApiKeyStore } from './api-key-store.js';
import type { ApiKeyVerifier } from './verify-api-key.js';

/** A key of the workspace as its owners and admins see it: never the key or its hash, always who holds it. */
export interface WorkspaceKeyView extends ApiKeyView {
  readonly holder: CredentialHolder;
}

/**
 * The keys of a workspace, managed by its owners and admins (issue 5: "admin: manage members, apps and keys
 * of the workspace"). Each person still manages their own keys through ApiKeyService; this lists every key
 * acting in the principal's workspace and revokes any of them. A key of another workspace is 404, a member
 * or viewer is 403. A revocation is audited as `key.revoke` by the admin (the event's user and credential)
 * with the key as its target and its holder in the detail, and stops the key on this instance at once.
 */
export class WorkspaceKeys {
  constructor(
    private readonly store: Pick<ApiKeyStore, 'listInWorkspace' | 'getInWorkspace' | 'revoke'>,
    private readonly users: Pick<UserStore, 'roleIn'>,
    private readonly verifier: Pick<ApiKeyVerifier, 'invalidate'>,
    private readonly clock: Clock,
  ) {}

  async list(principal: Principal): Promise<WorkspaceKeyView[]> {
    await requireManager(this.users, principal, 'see every key of the workspace');
    const now = this.clock.now();
    return (await this.store.listInWorkspace(principal.workspaceId)).map((r) => ({ ...toView(r, now), holder: { userId: r.userId, ...r.holder } }));
  }

  async revoke(principal: Principal, id: string): Promise<void> {
    await requireManager(this.users, principal, "revoke another member's key");
    const key = await this.store.getInWorkspace(principal.workspaceId, id);
    if (!key) throw notFound('API key');
    const now = this.clock.now();
    const event = principalEvent(principal, 'key.revoke', key.id, now, { holder: key.userId, email: key.holder.email, name: key.name, prefix: key.prefix, byAdmin: true });
    // The store revokes it as its holder's key (the same transaction, audit included, as a holder's own revoke).
    if (!(await this.store.revoke(key.userId, principal.workspaceId, key.id, now, event))) throw notFound('API key');
    this.verifier.invalidate(key.id);
  }
}
