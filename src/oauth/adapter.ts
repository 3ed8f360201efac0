import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Adapter, AdapterConstructor, AdapterPayload } from 'oidc-provider';
import { errors } from './oidc.js';
import { decrypt, deriveKey, encrypt } from '../auth/secrets.js';
import type { Clock } from '../core/clock.js';
import { isAppError } from '../errors/app-error.js';
import type { Database } from '../storage/schema.js';

/**
 * Models whose id is not a secret: a client id is public, a grant id is carried in every access token
 * (cairn_gid), and an interaction id is in the consent page's URL and does nothing without the person's
 * own browser session. Every other model's id is a bearer secret (authorization codes, access and refresh
 * tokens, client-credentials tokens, sessions (the id is the cookie), registration access tokens, device
 * codes, ...): only its SHA-256 is stored, and the payload is stored without it.
 */
const CLEAR_ID_MODELS = new Set(['Client', 'Grant', 'Interaction']);

/** Models whose one-time use is enforced by `consume`; using one twice means it leaked. */
const SINGLE_USE_LABELS: Record<string, string> = {
  AuthorizationCode: 'authorization code',
  RefreshToken: 'refresh token',
  DeviceCode: 'device code',
  BackchannelAuthenticationRequest: 'backchannel authentication request',
  PushedAuthorizationRequest: 'pushed authorization request',
};

/** What the store tells the rest of Cairn about, so its own records follow the authorization server's. */
export interface OAuthStoreHooks {
  /** A grant was destroyed (revocation, or reuse of a code or refresh token): its tokens must stop. */
  onGrantDestroyed(grantId: string): Promise<void>;
}

export function hashId(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('base64url');
}

/**
 * oidc-provider's storage on Kysely (SQLite and PostgreSQL alike), in the one table `oauth_store`. Expiry
 * is kept as epoch milliseconds for clean-up; oidc-provider checks the `exp` inside each payload itself.
 * Database errors fail closed: an unreachable store is a 503 `temporarily_unavailable`, never a success.
 */
export class OAuthStore {
  private readonly secretKey: Buffer;
  private hooks: OAuthStoreHooks | undefined;

  constructor(
    readonly db: Kysely<Database>,
    secret: string,
    private readonly clock: Clock,
  ) {
    this.secretKey = deriveKey(secret, 'oauth-client-secrets/v1');
  }

  /** Set once at wiring: the grant records listen to grant destruction. */
  setHooks(hooks: OAuthStoreHooks): void {
    this.hooks = hooks;
  }

  /** The adapter class oidc-provider instantiates once per model name. */
  adapterClass(): AdapterConstructor {
    const store = this;
    return class KyselyAdapter implements Adapter {
      constructor(readonly model: string) {}
      upsert(id: string, payload: AdapterPayload, expiresIn: number | undefined) {
        return guard(() => store.upsert(this.model, id, payload, expiresIn));
      }
      find(id: string) {
        return guard(() => store.find(this.model, id));
      }
      findByUid(uid: string) {
        return guard(() => store.findBy(this.model, 'uid', uid));
      }
      findByUserCode(userCode: string) {
        return guard(() => store.findBy(this.model, 'user_code', userCode));
      }
      consume(id: string) {
        return guard(() => store.consume(this.model, id));
      }
      destroy(id: string) {
        return guard(() => store.destroy(this.model, id));
      }
      revokeByGrantId(grantId: string) {
        return guard(() => store.revokeByGrantId(this.model, grantId));
      }
    };
  }

  async upsert(model: string, id: string, payload: AdapterPayload, expiresIn: number | undefined): Promise<void> {
    const { jti: _jti, consumed, client_secret: clientSecret, userCode: _userCode, ...rest } = payload;
    const stored = CLEAR_ID_MODELS.has(model) ? { ...rest, ...(_jti !== undefined ? { jti: _jti } : {}) } : rest;
    const row = {
      model,
      id: storedId(model, id),
      payload: JSON.stringify(stored),
      secret: typeof clientSecret === 'string' ? encrypt(this.secretKey, clientSecret, `client:${id}`) : null,
      grant_id: typeof payload.grantId === 'string' ? payload.grantId : null,
      // A session's uid is not a secret (tokens carry it as sessionUid); its id, the cookie, is.
      uid: typeof payload.uid === 'string' ? payload.uid : null,
      user_code: typeof payload.userCode === 'string' ? hashId(payload.userCode) : null,
      expires_at: expiresIn ? this.clock.now() + expiresIn * 1000 : null,
      consumed_at: typeof consumed === 'number' ? consumed * 1000 : consumed ? this.clock.now() : null,
    };
    const { model: _m, id: _i, ...update } = row;
    await this.db
      .insertInto('oauth_store')
      .values(row)
      .onConflict((oc) => oc.columns(['model', 'id']).doUpdateSet(update))
      .execute();
  }

  async find(model: string, id: string): Promise<AdapterPayload | undefined> {
    const row = await this.db.selectFrom('oauth_store').selectAll().where('model', '=', model).where('id', '=', storedId(model, id)).executeTakeFirst();
    return row ? this.toPayload(row, id) : undefined;
  }

  async findBy(model: string, column: 'uid' | 'user_code', value: string): Promise<AdapterPayload | undefined> {
    const row = await this.db
      .selectFrom('oauth_store')
      .selectAll()
      .where('model', '=', model)
      .where(column, '=', column === 'user_code' ? hashId(value) : value)
      .executeTakeFirst();
    if (!row) return undefined;
    // The raw id is unknown here (only its hash is stored); oidc-provider only reads what it finds this way.
    const payload = this.toPayload(row, undefined);
    if (column === 'user_code') payload.userCode = value;
    return payload;
  }

  /**
   * Marks a single-use artefact used, atomically: of two requests redeeming the same code or refresh token
   * at once, exactly one succeeds. The other is a reuse, so the grant is revoked, as for a sequential reuse.
   */
  async consume(model: string, id: string): Promise<void> {
    const key = storedId(model, id);
    const result = await this.db
      .updateTable('oauth_store')
      .set({ consumed_at: this.clock.now() })
      .where('model', '=', model)
      .where('id', '=', key)
      .where('consumed_at', 'is', null)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 1) return;
    const row = await this.db.selectFrom('oauth_store').select('grant_id').where('model', '=', model).where('id', '=', key).executeTakeFirst();
    if (row?.grant_id) await this.revokeGrant(row.grant_id);
    throw new errors.InvalidGrant(`${SINGLE_USE_LABELS[model] ?? 'artefact'} already used`);
  }

  async destroy(model: string, id: string): Promise<void> {
    await this.db.deleteFrom('oauth_store').where('model', '=', model).where('id', '=', storedId(model, id)).execute();
    if (model === 'Grant') await this.hooks?.onGrantDestroyed(id);
  }

  async revokeByGrantId(model: string, grantId: string): Promise<void> {
    await this.db.deleteFrom('oauth_store').where('model', '=', model).where('grant_id', '=', grantId).execute();
  }

  /**
   * Removes a grant and everything issued under it (codes, refresh tokens, stored access tokens), as
   * oidc-provider's own revocation does, then tells the grant records.
   */
  async revokeGrant(grantId: string): Promise<void> {
    await this.db
      .deleteFrom('oauth_store')
      .where((eb) => eb.or([eb('grant_id', '=', grantId), eb.and([eb('model', '=', 'Grant'), eb('id', '=', grantId)])]))
      .execute();
    await this.hooks?.onGrantDestroyed(grantId);
  }

  /** Writes a client record as oidc-provider would (Cairn-created client-credentials clients). */
  async putClient(metadata: AdapterPayload & { client_id: string }, trx: Kysely<Database> = this.db): Promise<void> {
    const { client_secret: clientSecret, ...rest } = metadata;
    const row = {
      model: 'Client',
      id: metadata.client_id,
      payload: JSON.stringify(rest),
      secret: typeof clientSecret === 'string' ? encrypt(this.secretKey, clientSecret, `client:${metadata.client_id}`) : null,
      grant_id: null,
      uid: null,
      user_code: null,
      expires_at: null,
      consumed_at: null,
    };
    const { model: _m, id: _i, ...update } = row;
    await trx.insertInto('oauth_store').values(row).onConflict((oc) => oc.columns(['model', 'id']).doUpdateSet(update)).execute();
  }

  async deleteClient(clientId: string, trx: Kysely<Database> = this.db): Promise<void> {
    await trx.deleteFrom('oauth_store').where('model', '=', 'Client').where('id', '=', clientId).execute();
  }

  /**
   * The registered redirect_uris of each of these clients that the store holds (DCR and Cairn-created
   * clients), in one query. A client-ID-metadata-document client is not stored (oidc-provider caches its
   * document in memory), so it is absent from the map, as is an unknown id.
   */
  async clientRedirectUris(clientIds: readonly string[]): Promise<Map<string, string[]>> {
    const ids = [...new Set(clientIds)];
    const found = new Map<string, string[]>();
    if (ids.length === 0) return found;
    const rows = await this.db.selectFrom('oauth_store').select(['id', 'payload']).where('model', '=', 'Client').where('id', 'in', ids).execute();
    for (const row of rows) {
      const uris = (JSON.parse(row.payload) as { redirect_uris?: unknown }).redirect_uris;
      found.set(row.id, Array.isArray(uris) ? uris.filter((u): u is string => typeof u === 'string') : []);
    }
    return found;
  }

  /** Deletes what has expired (the authorization server runs it periodically); returns how many rows went. */
  async purgeExpired(): Promise<number> {
    const result = await this.db.deleteFrom('oauth_store').where('expires_at', '<', this.clock.now()).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  private toPayload(row: { model: string; payload: string; secret: string | null; consumed_at: number | null }, rawId: string | undefined): AdapterPayload {
    const payload = JSON.parse(row.payload) as AdapterPayload;
    if (rawId !== undefined && !CLEAR_ID_MODELS.has(row.model)) payload.jti = rawId;
    if (row.consumed_at !== null) payload.consumed = Math.floor(Number(row.consumed_at) / 1000);
    if (row.secret !== null && typeof payload.client_id === 'string') {
      payload.client_secret = decrypt(this.secretKey, row.secret, `client:${payload.client_id}`);
    }
    return payload;
  }
}

function storedId(model: string, id: string): string {
  return CLEAR_ID_MODELS.has(model) ? id : hashId(id);
}

/**
 * Store failures reach oidc-provider as `temporarily_unavailable` with status 503, so every endpoint fails
 * closed with a retryable answer; oidc-provider's own errors (a reused code) pass through unchanged.
 */
async function guard<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isAppError(err) && err.code === 'UNAVAILABLE') throw storeUnavailable(err);
    throw err;
  }
}

export function storeUnavailable(cause: unknown): Error {
  const err = new errors.TemporarilyUnavailable('The authorization server cannot reach its database; try again shortly.');
  Object.assign(err, { status: 503, statusCode: 503, cause });
  return err;
}
