import type { Logger } from 'pino';
import { deriveKey } from '../auth/secrets.js';
import type { Clock } from '../core/clock.js';
import type { AppStore, UserStore } from '../core/users/user.js';
import type { Storage } from '../storage/db.js';
import { OAuthStore } from './adapter.js';
import { ClientCredentialsClients } from './clients.js';
import { OAuthGrants } from './grants.js';
import { DEFAULT_VERIFY_WINDOW_MS, SigningKeyStore } from './signing-keys.js';

/** How often expired codes, tokens, sessions and interactions are deleted. */
const PURGE_EVERY_MS = 10 * 60_000;

/** The authorization server's data side, built once per process (services.ts); the HTTP side is src/surfaces/oauth. */
export interface OAuthServices {
  readonly keys: SigningKeyStore;
  readonly store: OAuthStore;
  /** Consented grants; also the resource server's `TokenLiveness`. */
  readonly grants: OAuthGrants;
  readonly clients: ClientCredentialsClients;
  readonly users: Pick<UserStore, 'findById' | 'workspacesOf'>;
  readonly clock: Clock;
  /** Keys derived from the server secret for the authorization server's cookies and consent forms. */
  readonly cookieKeys: readonly string[];
  readonly consentCsrfKey: Buffer;
  /** Starts deleting expired rows periodically (the server does; CLI commands do not). */
  start(): void;
  stop(): void;
}

export interface OAuthServicesDeps {
  readonly secret: string;
  readonly storage: Storage;
  readonly apps: AppStore;
  readonly users: Pick<UserStore, 'findById' | 'workspacesOf'>;
  readonly clock: Clock;
  readonly log: Logger;
  /** Liveness answers are reused this long (a local revocation is seen at once). */
  readonly cacheTtlMs: number;
  readonly cacheMaxEntries: number;
  /** The access-token lifetime (default 300 s): a retired signing key stays published well beyond it. */
  readonly accessTokenTtlSeconds?: number;
}

export function buildOAuthServices(deps: OAuthServicesDeps): OAuthServices {
  const { db } = deps.storage;
  const store = new OAuthStore(db, deps.secret, deps.clock);
  const cache = { cacheTtlMs: Math.min(deps.cacheTtlMs, 5000), maxEntries: deps.cacheMaxEntries };
  const clients = new ClientCredentialsClients(db, store, deps.apps, deps.clock, cache);
  const grants = new OAuthGrants(db, store, clients, deps.clock, cache);
  let timer: NodeJS.Timeout | undefined;
  return {
    keys: new SigningKeyStore(db, deps.secret, deps.clock, { verifyWindowMs: Math.max(DEFAULT_VERIFY_WINDOW_MS, 3 * (deps.accessTokenTtlSeconds ?? 300) * 1000) }),
    store,
    grants,
    clients,
    users: deps.users,
    clock: deps.clock,
    cookieKeys: [deriveKey(deps.secret, 'oauth-cookies/v1').toString('base64url')],
    consentCsrfKey: deriveKey(deps.secret, 'oauth-consent-csrf/v1'),
    start() {
      timer ??= setInterval(() => {
        store.purgeExpired().catch((err: unknown) => deps.log.warn({ err }, 'could not delete expired OAuth artefacts; will retry'));
      }, PURGE_EVERY_MS);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}
