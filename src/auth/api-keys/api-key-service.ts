import { AppError, notFound } from '../../errors/app-error.js';
import { credentialEvent, type AuditAction, type AuditEvent, type CredentialActor } from '../../core/audit/audit.js';
import type { Clock } from '../../core/clock.js';
import { newId } from '../../core/ids.js';
import { requireScopes, type CredentialKind, type Principal } from '../../core/principal.js';
import { hasScope, type Scope } from '../../core/scopes.js';
import type { AppStore } from '../../core/users/user.js';
import { generateApiKey } from './api-key.js';
import type { ApiKeyRecord, ApiKeyStore } from './api-key-store.js';
import type { ApiKeyVerifier } from './verify-api-key.js';

/** Who a key belongs to and acts for; from a principal (REST) or an administrator's choice (CLI). */
export interface KeyOwner {
  readonly userId: string;
  readonly workspaceId: string;
}

/** Who is doing the key operation, for the audit log. */
export type KeyActor = CredentialActor;

export interface CreateKeyInput {
  readonly name: string;
  readonly scopes: readonly Scope[];
  /** Absolute expiry in ms, or null for none. */
  readonly expiresAt?: number | null;
}

export interface ApiKeyView {
  readonly id: string;
  readonly name: string;
  readonly prefix: string;
  readonly scopes: readonly Scope[];
  readonly workspaceId: string;
  readonly createdAt: number;
  readonly expiresAt: number | null;
  readonly revokedAt: number | null;
  readonly lastUsedAt: number | null;
  readonly usageCount: number;
  readonly rotatedTo: string | null;
  readonly status: 'active' | 'revoked' | 'expired';
}

export const MAX_GRACE_SECONDS = 30 * 24 * 3600;
const NAME = /^[\p{L}\p{N} ._:@()-]{1,64}$/u;

/**
 * Creating, listing, revoking and rotating API keys. The plaintext key leaves this class once, in the
 * return value of `create`/`rotate`; only its HMAC is stored.
 */
export class ApiKeyService {
  constructor(
    private readonly store: ApiKeyStore,
    private readonly apps: AppStore,
    private readonly verifier: ApiKeyVerifier,
    private readonly clock: Clock,
  ) {}

  async create(owner: KeyOwner, input: CreateKeyInput, actor: KeyActor): Promise<{ key: string; view: ApiKeyView }> {
    const name = checkName(input.name);
    if (input.scopes.length === 0) throw new AppError('INVALID_INPUT', 'Invalid scopes: give at least one scope.', { field: 'scopes' });
    const now = this.clock.now();
    if (input.expiresAt != null && input.expiresAt <= now) throw new AppError('INVALID_INPUT', 'Invalid expiresAt: must be in the future.', { field: 'expiresAt' });
    const app = await this.apps.ensure(owner.workspaceId, name, now);
    const { key, record } = this.mint(
      { userId: owner.userId, workspaceId: owner.workspaceId, appId: app.id, name, scopes: [...new Set(input.scopes)].sort(), expiresAt: input.expiresAt ?? null },
      now,
    );
    await this.store.insert(record, this.event(owner, actor, 'key.create', record.id, now, { name, scopes: record.scopes }));
    return { key, view: toView({ ...record, lastUsedAt: null, usageCount: 0, rotatedTo: null }, now) };
  }

  /**
   * Key management by a credential (REST): needs the `admin` scope, acts on the caller's own keys in the
   * caller's workspace, and the caller's scopes bound the new key's, so a key cannot mint a stronger key.
   */
  async createFor(principal: Principal, input: CreateKeyInput): Promise<{ key: string; view: ApiKeyView }> {
    requireScopes(principal, 'admin');
    const beyond = input.scopes.filter((s) => !hasScope(principal.scopes, s));
    if (beyond.length > 0) {
      throw new AppError('INVALID_INPUT', `Invalid scopes: this credential cannot grant ${beyond.join(', ')}.`, { field: 'scopes' });
    }
    return this.create(principal, input, actorOf(principal));
  }

  async listFor(principal: Principal): Promise<ApiKeyView[]> {
    requireScopes(principal, 'admin');
    return this.list(principal);
  }

  async revokeFor(principal: Principal, id: string): Promise<void> {
    requireScopes(principal, 'admin');
    return this.revoke(principal, id, actorOf(principal));
  }

  async rotateFor(principal: Principal, id: string, graceSeconds: number): Promise<{ key: string; view: ApiKeyView; old: ApiKeyView }> {
    requireScopes(principal, 'admin');
    return this.rotate(principal, id, graceSeconds, actorOf(principal));
  }

  async list(owner: KeyOwner): Promise<ApiKeyView[]> {
    const now = this.clock.now();
    return (await this.store.list(owner.userId, owner.workspaceId)).map((r) => toView(r, now));
  }

  async revoke(owner: KeyOwner, id: string, actor: KeyActor): Promise<void> {
    const now = this.clock.now();
    const found = await this.store.revoke(owner.userId, owner.workspaceId, id, now, this.event(owner, actor, 'key.revoke', id, now));
    if (!found) throw notFound('API key');
    this.verifier.invalidate(id);
  }

  /**
   * Issues a replacement with the same name, scopes and workspace; the old key keeps working for
   * `graceSeconds` (0 = stops now) so clients can be switched over without an outage.
   */
  async rotate(owner: KeyOwner, id: string, graceSeconds: number, actor: KeyActor): Promise<{ key: string; view: ApiKeyView; old: ApiKeyView }> {
    if (!Number.isInteger(graceSeconds) || graceSeconds < 0 || graceSeconds > MAX_GRACE_SECONDS) {
      throw new AppError('INVALID_INPUT', `Invalid gracePeriodSeconds: a whole number from 0 to ${MAX_GRACE_SECONDS}.`, { field: 'gracePeriodSeconds' });
    }
    const now = this.clock.now();
    const old = await this.store.get(owner.userId, owner.workspaceId, id);
    if (!old) throw notFound('API key');
    const oldStatus = toView(old, now).status;
    if (oldStatus !== 'active') throw new AppError('CONFLICT', `This key is ${oldStatus} and cannot be rotated; create a new key instead.`);
    const { key, record: replacement } = this.mint(
      { userId: old.userId, workspaceId: old.workspaceId, appId: old.appId, name: old.name, scopes: old.scopes, expiresAt: old.expiresAt },
      now,
    );
    const oldExpiresAt = now + graceSeconds * 1000;
    await this.store.rotate(old.id, oldExpiresAt, replacement, this.event(owner, actor, 'key.rotate', old.id, now, { replacement: replacement.id, graceSeconds }));
    this.verifier.invalidate(old.id);
    const updatedOld = await this.store.get(owner.userId, owner.workspaceId, id);
    return { key, view: toView({ ...replacement, lastUsedAt: null, usageCount: 0, rotatedTo: null }, now), old: toView(updatedOld ?? old, now) };
  }

  /** A fresh secret and the row that stands for it: only the HMAC and a display prefix are kept. */
  private mint(fields: Pick<ApiKeyRecord, 'userId' | 'workspaceId' | 'appId' | 'name' | 'scopes' | 'expiresAt'>, now: number) {
    const { key, displayPrefix } = generateApiKey();
    const record = { ...fields, id: newId('key', now), prefix: displayPrefix, hash: this.verifier.hash(key), createdAt: now, revokedAt: null };
    return { key, record };
  }

  private event(owner: KeyOwner, actor: KeyActor, action: AuditAction, targetId: string, at: number, detail: Record<string, unknown> | null = null): AuditEvent {
    return credentialEvent(action, owner, actor, targetId, at, detail);
  }

}

export function actorOf(principal: Principal): KeyActor {
  return { kind: principal.credential.kind, credentialId: principal.credential.id, requestId: principal.requestId ?? null };
}

function checkName(raw: string): string {
  const name = raw.trim();
  if (!NAME.test(name)) {
    throw new AppError('INVALID_INPUT', 'Invalid name: 1-64 letters, digits, spaces or . _ : @ ( ) -', { field: 'name' });
  }
  return name;
}

export function toView(r: ApiKeyRecord, now: number): ApiKeyView {
  const status = r.revokedAt !== null ? 'revoked' : r.expiresAt !== null && r.expiresAt <= now ? 'expired' : 'active';
  return {
    id: r.id,
    name: r.name,
    prefix: r.prefix,
    scopes: r.scopes,
    workspaceId: r.workspaceId,
    createdAt: r.createdAt,
    expiresAt: r.expiresAt,
    revokedAt: r.revokedAt,
    lastUsedAt: r.lastUsedAt,
    usageCount: r.usageCount,
    rotatedTo: r.rotatedTo,
    status,
  };
}
