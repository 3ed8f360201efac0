import type { Kysely, Selectable } from 'kysely';
import type { TokenLiveness } from '../auth/oauth-tokens/ports.js';
import { credentialEvent, type AuditAction, type AuditEvent } from '../core/audit/audit.js';
import type { Clock } from '../core/clock.js';
import type { Role } from '../core/users/user.js';
import type { CredentialHolder } from '../core/workspaces/managers.js';
import { requireScopes, type Principal } from '../core/principal.js';
import { notFound } from '../errors/app-error.js';
import { toAuditRow } from '../storage/audit-repo.js';
import type { Database, OAuthGrantsTable } from '../storage/schema.js';
import type { OAuthStore } from './adapter.js';
import type { ClientActor, ClientCredentialsClients } from './clients.js';
import type { MemoryScope } from './scopes.js';
import { TtlCache } from '../core/ttl-cache.js';

/** Cairn's record of one consented grant: what its access tokens act as. */
export interface GrantRecord {
  /** The authorization server's grant id; tokens carry it as `cairn_gid`. */
  readonly id: string;
  readonly userId: string;
  readonly workspaceId: string;
  readonly appId: string;
  readonly clientId: string;
  readonly clientName: string;
  readonly scopes: readonly MemoryScope[];
  readonly createdAt: number;
  readonly lastUsedAt: number | null;
  readonly revokedAt: number | null;
}

export type NewGrant = Omit<GrantRecord, 'createdAt' | 'lastUsedAt' | 'revokedAt'>;

export interface GrantsOptions {
  /** How long an answer of `isGrantActive` is reused. A revocation on this instance is seen at once. */
  readonly cacheTtlMs: number;
  readonly maxEntries: number;
}

const TOUCH_EVERY_MS = 60_000;

/**
 * The grants people consented to ("connected apps") and whether each still stands. The consent page
 * records one; the access tokens issued under it carry its user, workspace and app; revoking it (the
 * person, or oidc-provider on a reused code or refresh token) ends every token at once: the resource
 * server asks `isGrantActive` and is told through `onRevoked` to drop what it cached.
 *
 * Fail closed: a store error propagates (503), it is never read as "active".
 */
export class OAuthGrants implements TokenLiveness {
  private readonly liveness: TtlCache<boolean>;
  private readonly revokedListeners: ((grantId: string) => void)[] = [];

  constructor(
    private readonly db: Kysely<Database>,
    private readonly store: OAuthStore,
    private readonly clients: ClientCredentialsClients,
    private readonly clock: Clock,
    options: GrantsOptions = { cacheTtlMs: 5000, maxEntries: 10_000 },
  ) {
    this.liveness = new TtlCache({ ttlMs: options.cacheTtlMs, maxEntries: options.maxEntries });
    store.setHooks({ onGrantDestroyed: (grantId) => this.markRevoked(grantId, null) });
  }

  /** Called with every grant revoked on this instance (the resource server drops its cached tokens). */
  onRevoked(listener: (grantId: string) => void): void {
    this.revokedListeners.push(listener);
  }

  /** Records a grant the person just consented to (before the client can exchange its code). */
  async record(grant: NewGrant, actor: ClientActor): Promise<void> {
    const now = this.clock.now();
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('oauth_grants')
        .values({
          id: grant.id,
          user_id: grant.userId,
          workspace_id: grant.workspaceId,
          app_id: grant.appId,
          client_id: grant.clientId,
          client_name: grant.clientName,
          scopes: [...grant.scopes].sort().join(' '),
          created_at: now,
          last_used_at: null,
          revoked_at: null,
        })
        .execute();
      await trx.insertInto('audit_log').values(auditRow('oauth_grant.create', grant, actor, now, { clientId: grant.clientId, scopes: grant.scopes })).execute();
    });
  }

  /** The grant if it still stands, read fresh: an access token is about to be issued under it. */
  async active(grantId: string): Promise<GrantRecord | undefined> {
    const row = await this.db.selectFrom('oauth_grants').selectAll().where('id', '=', grantId).where('revoked_at', 'is', null).executeTakeFirst();
    return row ? toRecord(row) : undefined;
  }

  async isGrantActive(grantId: string): Promise<boolean> {
    const now = this.clock.now();
    const hit = this.liveness.get(grantId, now);
    if (hit) return hit.value;
    const active = (await this.active(grantId)) !== undefined;
    this.liveness.set(grantId, active, now);
    return active;
  }

  isClientActive(clientId: string): Promise<boolean> {
    return this.clients.isActive(clientId);
  }

  /** The user's grants in one workspace, newest first, revoked ones included. */
  async list(owner: { userId: string; workspaceId: string }): Promise<GrantRecord[]> {
    const rows = await this.db
      .selectFrom('oauth_grants')
      .selectAll()
      .where('user_id', '=', owner.userId)
      .where('workspace_id', '=', owner.workspaceId)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .execute();
    return rows.map(toRecord);
  }

  /** Every grant of the user, in any workspace (the browser dashboard). */
  async listForUser(userId: string): Promise<GrantRecord[]> {
    const rows = await this.db.selectFrom('oauth_grants').selectAll().where('user_id', '=', userId).orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
    return rows.map(toRecord);
  }

  /**
   * Disconnects an app: the record is marked revoked first (what tokens are checked against), then the
   * authorization server's grant and everything issued under it is deleted. NOT_FOUND for a grant that is
   * not the user's, exactly as for one that does not exist.
   */
  async revoke(owner: { userId: string; workspaceId?: string }, grantId: string, actor: ClientActor): Promise<void> {
    let query = this.db.selectFrom('oauth_grants').select('id').where('id', '=', grantId).where('user_id', '=', owner.userId);
    if (owner.workspaceId !== undefined) query = query.where('workspace_id', '=', owner.workspaceId);
    if (!(await query.executeTakeFirst())) throw notFound('Connection');
    await this.markRevoked(grantId, actor);
    await this.store.revokeGrant(grantId);
  }

  /** Every grant of one workspace, whoever holds it, newest first, revoked ones included (workspace administration). */
  async listInWorkspace(workspaceId: string): Promise<(GrantRecord & { holder: CredentialHolder })[]> {
    const rows = await this.db
      .selectFrom('oauth_grants as g')
      .innerJoin('users as u', 'u.id', 'g.user_id')
      .leftJoin('memberships as ms', (j) => j.onRef('ms.user_id', '=', 'g.user_id').onRef('ms.workspace_id', '=', 'g.workspace_id'))
      .selectAll('g')
      .select(['u.email as holder_email', 'u.name as holder_name', 'ms.role as holder_role'])
      .where('g.workspace_id', '=', workspaceId)
      .orderBy('g.created_at', 'desc')
      .orderBy('g.id', 'desc')
      .execute();
    return rows.map((r) => ({ ...toRecord(r), holder: { userId: r.user_id, email: r.holder_email, name: r.holder_name, role: (r.holder_role ?? null) as Role | null } }));
  }

  /**
   * Disconnects any grant of the workspace (its owners and admins): as `revoke`, with the caller's own audit
   * event (built from the grant). NOT_FOUND for a grant of another workspace.
   */
  async revokeInWorkspace(workspaceId: string, grantId: string, audit: (grant: GrantRecord) => AuditEvent): Promise<void> {
    const row = await this.db.selectFrom('oauth_grants').selectAll().where('id', '=', grantId).where('workspace_id', '=', workspaceId).executeTakeFirst();
    if (!row) throw notFound('Connection');
    await this.markRevoked(grantId, null, audit(toRecord(row)));
    await this.store.revokeGrant(grantId);
  }

  /**
   * The distinct redirect hosts (`host` with port, e.g. `127.0.0.1:33418`, `claude.ai`) each client
   * registered, for a list of grants in one store read. A redirect URI without a host (a private-use scheme
   * such as `com.example.app:/cb`) counts as its scheme (`com.example.app:`). A client whose metadata is not
   * stored (a client-ID-metadata-document client, or one since deleted) gets `[]`.
   */
  async redirectHosts(clientIds: readonly string[]): Promise<Map<string, string[]>> {
    const uris = await this.store.clientRedirectUris(clientIds);
    const hosts = new Map<string, string[]>();
    for (const id of clientIds) hosts.set(id, redirectHostsOf(uris.get(id) ?? []));
    return hosts;
  }

  async listFor(principal: Principal): Promise<GrantRecord[]> {
    requireScopes(principal, 'admin');
    return this.list(principal);
  }

  async revokeFor(principal: Principal, grantId: string): Promise<void> {
    requireScopes(principal, 'admin');
    return this.revoke(principal, grantId, { kind: principal.credential.kind, credentialId: principal.credential.id, requestId: principal.requestId ?? null });
  }

  /** Records that the grant was used to get a token (at most once a minute per grant). */
  async touch(grantId: string): Promise<void> {
    const now = this.clock.now();
    await this.db
      .updateTable('oauth_grants')
      .set({ last_used_at: now })
      .where('id', '=', grantId)
      .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', now - TOUCH_EVERY_MS)]))
      .execute();
  }

  /** Idempotent: the first revocation is recorded and announced, later ones change nothing. */
  private async markRevoked(grantId: string, actor: ClientActor | null, event?: AuditEvent): Promise<void> {
    const now = this.clock.now();
    const row = await this.db.selectFrom('oauth_grants').selectAll().where('id', '=', grantId).executeTakeFirst();
    if (row && row.revoked_at === null) {
      await this.db.transaction().execute(async (trx) => {
        await trx.updateTable('oauth_grants').set({ revoked_at: now }).where('id', '=', grantId).where('revoked_at', 'is', null).execute();
        // No actor: oidc-provider revoked it (a reused code or refresh token, or a token revocation request).
        await trx
          .insertInto('audit_log')
          .values(event ? toAuditRow({ ...event, at: now }) : auditRow('oauth_grant.revoke', toRecord(row), actor, now, actor ? null : { by: 'authorization server' }))
          .execute();
      });
    }
    this.liveness.set(grantId, false, now);
    for (const listener of this.revokedListeners) listener(grantId);
  }
}

export function redirectHostsOf(uris: readonly string[]): string[] {
  const hosts = new Set<string>();
  for (const uri of uris) {
    const url = URL.parse(uri);
    if (!url) continue;
    hosts.add(url.host || url.protocol);
  }
  return [...hosts];
}

function toRecord(r: Selectable<OAuthGrantsTable>): GrantRecord {
  return {
    id: r.id,
    userId: r.user_id,
    workspaceId: r.workspace_id,
    appId: r.app_id,
    clientId: r.client_id,
    clientName: r.client_name,
    scopes: r.scopes.split(' ').filter(Boolean) as MemoryScope[],
    createdAt: Number(r.created_at),
    lastUsedAt: r.last_used_at === null ? null : Number(r.last_used_at),
    revokedAt: r.revoked_at === null ? null : Number(r.revoked_at),
  };
}

function auditRow(action: AuditAction, grant: Pick<GrantRecord, 'id' | 'userId' | 'workspaceId' | 'appId'>, actor: ClientActor | null, at: number, detail: Record<string, unknown> | null) {
  return toAuditRow(credentialEvent(action, grant, actor, grant.id, at, detail, grant.appId));
}
