import type { Kysely, Selectable } from 'kysely';
import { credentialEvent, type AuditAction, type AuditEvent, type CredentialActor } from '../core/audit/audit.js';
import type { Clock } from '../core/clock.js';
import { randomBase62 } from '../core/ids.js';
import { requireScopes, type Principal } from '../core/principal.js';
import { hasScope, type Scope } from '../core/scopes.js';
import type { AppStore, Role } from '../core/users/user.js';
import type { CredentialHolder } from '../core/workspaces/managers.js';
import { AppError, notFound } from '../errors/app-error.js';
import { toAuditRow } from '../storage/audit-repo.js';
import type { Database, OAuthClientsTable } from '../storage/schema.js';
import type { OAuthStore } from './adapter.js';
import { MEMORY_SCOPES, type MemoryScope } from './scopes.js';
import { TtlCache } from '../core/ttl-cache.js';

/** A client-credentials client as listed; never its secret. */
export interface ClientView {
  readonly id: string;
  readonly name: string;
  readonly scopes: readonly MemoryScope[];
  readonly workspaceId: string;
  readonly appId: string;
  readonly createdAt: number;
  readonly secretRotatedAt: number | null;
  readonly lastUsedAt: number | null;
}

/** Whom a client acts for, as its tokens' claims say. */
export interface ClientOwner {
  readonly clientId: string;
  readonly userId: string;
  readonly workspaceId: string;
  readonly appId: string;
  /** The scopes its tokens may carry. */
  readonly scopes: readonly MemoryScope[];
}

export type ClientActor = CredentialActor;

const NAME = /^[\p{L}\p{N} ._:@()-]{1,64}$/u;
/** How often "last used" is written at most: it is shown, not enforced, and a write per token is waste. */
const TOUCH_EVERY_MS = 60_000;

/**
 * Confidential clients for the `client_credentials` grant (machine clients, MCP ext-auth): a user creates one
 * for one workspace and a set of memory scopes, and receives its secret once. Its oidc-provider client record
 * holds the secret encrypted (oauth_store); this class keeps who it acts for (oauth_clients). Tokens it gets
 * carry the owner's user, workspace and app and live only while the client exists (`isActive`).
 */
export class ClientCredentialsClients {
  private readonly liveness: TtlCache<boolean>;
  private readonly deletedListeners: ((clientId: string) => void)[] = [];

  constructor(
    private readonly db: Kysely<Database>,
    private readonly store: OAuthStore,
    private readonly apps: AppStore,
    private readonly clock: Clock,
    options: { readonly cacheTtlMs: number; readonly maxEntries: number } = { cacheTtlMs: 5000, maxEntries: 10_000 },
  ) {
    this.liveness = new TtlCache({ ttlMs: options.cacheTtlMs, maxEntries: options.maxEntries });
  }

  /** Called with the id of every client deleted on this instance (the resource server drops its cached tokens). */
  onDeleted(listener: (clientId: string) => void): void {
    this.deletedListeners.push(listener);
  }

  /** Creates a client for `owner` and returns its secret: shown once, stored only encrypted. */
  async create(owner: { userId: string; workspaceId: string }, input: { name: string; scopes: readonly Scope[] }, actor: ClientActor): Promise<{ clientId: string; clientSecret: string; view: ClientView }> {
    const name = checkName(input.name);
    const scopes = checkScopes(input.scopes);
    const now = this.clock.now();
    const app = await this.apps.ensure(owner.workspaceId, name, now);
    const clientId = `cc_${randomBase62(22)}`;
    const clientSecret = newSecret();
    const row: OAuthClientsTable = {
      client_id: clientId,
      user_id: owner.userId,
      workspace_id: owner.workspaceId,
      app_id: app.id,
      name,
      scopes: scopes.join(' '),
      created_at: now,
      secret_rotated_at: null,
      last_used_at: null,
    };
    await this.db.transaction().execute(async (trx) => {
      await this.store.putClient(clientMetadata(clientId, clientSecret, name, now), trx);
      await trx.insertInto('oauth_clients').values(row).execute();
      await trx.insertInto('audit_log').values(auditRow('oauth_client.create', owner, actor, clientId, now, { name, scopes })).execute();
    });
    return { clientId, clientSecret, view: toView(row) };
  }

  async list(owner: { userId: string; workspaceId: string }): Promise<ClientView[]> {
    const rows = await this.db
      .selectFrom('oauth_clients')
      .selectAll()
      .where('user_id', '=', owner.userId)
      .where('workspace_id', '=', owner.workspaceId)
      .orderBy('created_at', 'desc')
      .orderBy('client_id', 'desc')
      .execute();
    return rows.map(toView);
  }

  /** A new secret; the old one stops at once. Tokens already issued run out on their own (minutes). */
  async rotate(owner: { userId: string; workspaceId: string }, clientId: string, actor: ClientActor): Promise<{ clientSecret: string; view: ClientView }> {
    const row = await this.owned(owner, clientId);
    const clientSecret = newSecret();
    const now = this.clock.now();
    await this.db.transaction().execute(async (trx) => {
      await this.store.putClient(clientMetadata(clientId, clientSecret, row.name, Number(row.created_at)), trx);
      await trx.updateTable('oauth_clients').set({ secret_rotated_at: now }).where('client_id', '=', clientId).execute();
      await trx.insertInto('audit_log').values(auditRow('oauth_client.rotate', owner, actor, clientId, now)).execute();
    });
    return { clientSecret, view: toView({ ...row, secret_rotated_at: now }) };
  }

  /** Deletes the client: it can get no token, and the tokens it holds are refused from now on. */
  async delete(owner: { userId: string; workspaceId: string }, clientId: string, actor: ClientActor): Promise<void> {
    await this.owned(owner, clientId);
    const now = this.clock.now();
    await this.remove(clientId, now, auditRow('oauth_client.delete', owner, actor, clientId, now));
  }

  /** Every client of one workspace, whoever holds it, newest first (workspace administration). */
  async listInWorkspace(workspaceId: string): Promise<(ClientView & { holder: CredentialHolder })[]> {
    const rows = await this.db
      .selectFrom('oauth_clients as c')
      .innerJoin('users as u', 'u.id', 'c.user_id')
      .leftJoin('memberships as ms', (j) => j.onRef('ms.user_id', '=', 'c.user_id').onRef('ms.workspace_id', '=', 'c.workspace_id'))
      .selectAll('c')
      .select(['u.email as holder_email', 'u.name as holder_name', 'ms.role as holder_role'])
      .where('c.workspace_id', '=', workspaceId)
      .orderBy('c.created_at', 'desc')
      .orderBy('c.client_id', 'desc')
      .execute();
    return rows.map((r) => ({ ...toView(r), holder: { userId: r.user_id, email: r.holder_email, name: r.holder_name, role: (r.holder_role ?? null) as Role | null } }));
  }

  /**
   * Deletes any client of the workspace (its owners and admins): as `delete`, with the caller's own audit event
   * (built from the client). NOT_FOUND for a client of another workspace.
   */
  async deleteInWorkspace(workspaceId: string, clientId: string, audit: (client: ClientView & { userId: string }) => AuditEvent): Promise<void> {
    const row = await this.db.selectFrom('oauth_clients').selectAll().where('client_id', '=', clientId).where('workspace_id', '=', workspaceId).executeTakeFirst();
    if (!row) throw notFound('OAuth client');
    const now = this.clock.now();
    await this.remove(clientId, now, toAuditRow({ ...audit({ ...toView(row), userId: row.user_id }), at: now }));
  }

  private async remove(clientId: string, now: number, audit: ReturnType<typeof toAuditRow>): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await this.store.deleteClient(clientId, trx);
      await trx.deleteFrom('oauth_clients').where('client_id', '=', clientId).execute();
      await trx.insertInto('audit_log').values(audit).execute();
    });
    this.liveness.set(clientId, false, now);
    for (const listener of this.deletedListeners) listener(clientId);
  }

  // Management by a credential (REST): `admin`, on the caller's own clients in the caller's workspace, and
  // never scopes beyond the caller's own (a key cannot mint a stronger client).

  async createFor(principal: Principal, input: { name: string; scopes: readonly Scope[] }) {
    requireScopes(principal, 'admin');
    const beyond = input.scopes.filter((s) => !hasScope(principal.scopes, s));
    if (beyond.length > 0) throw new AppError('INVALID_INPUT', `Invalid scopes: this credential cannot grant ${beyond.join(', ')}.`, { field: 'scopes' });
    return this.create(principal, input, actorOf(principal));
  }

  async listFor(principal: Principal): Promise<ClientView[]> {
    requireScopes(principal, 'admin');
    return this.list(principal);
  }

  async rotateFor(principal: Principal, clientId: string) {
    requireScopes(principal, 'admin');
    return this.rotate(principal, clientId, actorOf(principal));
  }

  async deleteFor(principal: Principal, clientId: string): Promise<void> {
    requireScopes(principal, 'admin');
    return this.delete(principal, clientId, actorOf(principal));
  }

  /** Who a client acts for, if it still exists; read fresh (a token is about to be issued on it). */
  async owner(clientId: string): Promise<ClientOwner | undefined> {
    const row = await this.db.selectFrom('oauth_clients').select(['client_id', 'user_id', 'workspace_id', 'app_id', 'scopes']).where('client_id', '=', clientId).executeTakeFirst();
    if (!row) return undefined;
    return { clientId: row.client_id, userId: row.user_id, workspaceId: row.workspace_id, appId: row.app_id, scopes: row.scopes.split(' ').filter(Boolean) as MemoryScope[] };
  }

  /** TokenLiveness for client-credentials tokens: cached briefly, dropped at once on a local delete. */
  async isActive(clientId: string): Promise<boolean> {
    const now = this.clock.now();
    const hit = this.liveness.get(clientId, now);
    if (hit) return hit.value;
    const active = (await this.owner(clientId)) !== undefined;
    this.liveness.set(clientId, active, now);
    return active;
  }

  /** Records that the client got a token (at most once a minute per client). */
  async touch(clientId: string): Promise<void> {
    const now = this.clock.now();
    await this.db
      .updateTable('oauth_clients')
      .set({ last_used_at: now })
      .where('client_id', '=', clientId)
      .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', now - TOUCH_EVERY_MS)]))
      .execute();
  }

  private async owned(owner: { userId: string; workspaceId: string }, clientId: string): Promise<Selectable<OAuthClientsTable>> {
    const row = await this.db
      .selectFrom('oauth_clients')
      .selectAll()
      .where('client_id', '=', clientId)
      .where('user_id', '=', owner.userId)
      .where('workspace_id', '=', owner.workspaceId)
      .executeTakeFirst();
    if (!row) throw notFound('OAuth client');
    return row;
  }
}

/**
 * The oidc-provider client record: confidential, client_credentials only. Its scopes are kept in
 * oauth_clients, not as client metadata, so a request for more is narrowed to them (provider.ts) rather
 * than refused: MCP clients ask for what the resource advertises, not for what they were given.
 */
function clientMetadata(clientId: string, clientSecret: string, name: string, createdAt: number) {
  return {
    client_id: clientId,
    client_secret: clientSecret,
    client_name: name,
    client_id_issued_at: Math.floor(createdAt / 1000),
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
    application_type: 'web',
  };
}

/** `cairn_cs_` + 43 base62 characters (about 256 bits); the prefix lets secret scanners recognise it. */
function newSecret(): string {
  return `cairn_cs_${randomBase62(43)}`;
}

function checkName(name: string): string {
  const trimmed = name.trim();
  if (!NAME.test(trimmed)) throw new AppError('INVALID_INPUT', 'Invalid name: 1 to 64 letters, digits, spaces or ._:@()-', { field: 'name' });
  return trimmed;
}

function checkScopes(scopes: readonly Scope[]): MemoryScope[] {
  const unique = [...new Set(scopes)];
  if (unique.length === 0) throw new AppError('INVALID_INPUT', 'Invalid scopes: give at least one scope.', { field: 'scopes' });
  const refused = unique.filter((s) => !(MEMORY_SCOPES as readonly string[]).includes(s));
  // OAuth never carries `admin`: key and client management stays with API keys and the browser.
  if (refused.length > 0) throw new AppError('INVALID_INPUT', `Invalid scopes: an OAuth client can hold only ${MEMORY_SCOPES.join(', ')}.`, { field: 'scopes' });
  return (unique as MemoryScope[]).sort();
}

function toView(r: Selectable<OAuthClientsTable> | OAuthClientsTable): ClientView {
  return {
    id: r.client_id,
    name: r.name,
    scopes: r.scopes.split(' ').filter(Boolean) as MemoryScope[],
    workspaceId: r.workspace_id,
    appId: r.app_id,
    createdAt: Number(r.created_at),
    secretRotatedAt: r.secret_rotated_at === null ? null : Number(r.secret_rotated_at),
    lastUsedAt: r.last_used_at === null ? null : Number(r.last_used_at),
  };
}

function actorOf(principal: Principal): ClientActor {
  return { kind: principal.credential.kind, credentialId: principal.credential.id, requestId: principal.requestId ?? null };
}

function auditRow(action: AuditAction, owner: { userId: string; workspaceId: string }, actor: ClientActor, clientId: string, at: number, detail: Record<string, unknown> | null = null) {
  return toAuditRow(credentialEvent(action, owner, actor, clientId, at, detail));
}
