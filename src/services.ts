import type { Logger } from 'pino';
import { Accounts } from './accounts/accounts.js';
import type { SessionReader } from './auth/sessions/ports.js';
import { ApiKeyService } from './auth/api-keys/api-key-service.js';
import { WorkspaceKeys } from './auth/api-keys/workspace-keys.js';
import { UsageRecorder } from './auth/api-keys/usage-recorder.js';
import { ApiKeyVerifier } from './auth/api-keys/verify-api-key.js';
import type { PublicKeySource, TokenLiveness } from './auth/oauth-tokens/ports.js';
import { AccessTokenVerifier, membershipFromUsers } from './auth/oauth-tokens/verify-access-token.js';
import { deriveKey } from './auth/secrets.js';
import type { Config } from './config/schema.js';
import { BufferedAccessLog } from './core/audit/buffered-access-log.js';
import type { Clock } from './core/clock.js';
import { MemoryService } from './core/memories/memory-service.js';
import { TransferService } from './core/transfer/transfer-service.js';
import type { Embedder } from './core/search/embedder.js';
import { EmbeddingWorker } from './core/search/embedding-worker.js';
import { RetentionSweeper } from './core/retention/retention.js';
import { UserService } from './core/users/user-service.js';
import { KyselyApiKeyStore } from './storage/api-keys-repo.js';
import { KyselyAuditStore } from './storage/audit-repo.js';
import type { Storage } from './storage/db.js';
import { KyselyRetentionStore } from './storage/retention-repo.js';
import { KyselyMemoryStore } from './storage/memories-repo.js';
import { KyselyTransferStore } from './storage/transfer-repo.js';
import { AppAccessGuard } from './core/apps/app-access-guard.js';
import { AppControls } from './core/apps/app-controls.js';
import { KyselyAppStore, KyselyUserStore } from './storage/users-repo.js';
import { KyselyWorkspaceStore } from './storage/workspaces-repo.js';
import { memoryAccessGuard, RoleGuard } from './core/workspaces/role-guard.js';
import { WorkspaceService } from './core/workspaces/workspace-service.js';
import { InvitationSender } from './core/mail/invitation-mail.js';
import type { Mailer } from './core/mail/mailer.js';
import { SmtpMailer } from './mail/smtp-mailer.js';
import { KyselyEmbeddingQueue, KyselyVectorIndex, type VectorSearchKind } from './storage/vectors-repo.js';
import { buildOAuthServices, type OAuthServices } from './oauth/oauth-services.js';
import { WorkspaceConnections } from './oauth/workspace-connections.js';

/** How often the embedding worker looks for queued jobs when idle (it continues at once after a full batch). */
const EMBEDDING_POLL_MS = 1000;

/** The retention sweep runs this long after the server starts, then every RETENTION_SWEEP_INTERVAL_MS. */
export const RETENTION_FIRST_SWEEP_MS = 60_000;
export const RETENTION_SWEEP_INTERVAL_MS = 3_600_000;

/** Optional parts chosen by the runtime (or injected by tests). */
export interface ServiceOptions {
  /** When the retention sweep runs once `start()` is called (default: after a minute, then hourly). */
  readonly retentionSchedule?: { readonly firstDelayMs: number; readonly intervalMs: number };
  /** The configured embedder; without one, Cairn is lexical-only and queues no embedding jobs. */
  readonly embedder?: Embedder;
  /** The vector search path `chooseVectorSearch` picked for this database (default `exact`). */
  readonly vectorSearch?: VectorSearchKind;
  /** Outgoing mail instead of the configured SMTP server (default: CAIRN_SMTP_URL, or none). */
  readonly mailer?: Mailer;
}

/** What OAuth access tokens are checked against: the authorization server's public signing keys and grants. */
export interface TokenSources {
  readonly keys: PublicKeySource;
  readonly liveness: TokenLiveness;
}

/** Dense retrieval, present when an embedder is configured. */
export interface EmbeddingServices {
  readonly vectors: KyselyVectorIndex;
  readonly queue: KyselyEmbeddingQueue;
  /** Runs with the server (`start`); `cairn reindex` and the retrieval bench drain it directly. */
  readonly worker: EmbeddingWorker;
}

/** Everything the surfaces and the CLI use, built once per process from config + storage. */
export interface Services {
  readonly storage: Storage;
  readonly memories: MemoryService;
  /** Export and import of a whole workspace (Cairn JSONL; OpenMemory/mem0 and server-memory imports). */
  readonly transfer: TransferService;
  readonly users: UserService;
  readonly apiKeys: ApiKeyService;
  /** Every key of a workspace, listed and revoked by its owners and admins. */
  readonly workspaceKeys: WorkspaceKeys;
  /** Every connected app (OAuth grant) and client-credentials client of a workspace, for its owners and admins. */
  readonly workspaceConnections: WorkspaceConnections;
  readonly verifier: ApiKeyVerifier;
  /** Verifies OAuth access tokens on /api and /mcp, against this server's own signing keys and grants. */
  readonly accessTokens: AccessTokenVerifier;
  readonly usage: UsageRecorder;
  readonly accessLog: BufferedAccessLog;
  readonly audit: KyselyAuditStore;
  readonly apps: KyselyAppStore;
  /** App controls (pause, read-only), asked by every memory operation; told of changes made here. */
  readonly appAccess: AppAccessGuard;
  readonly appControls: AppControls;
  /** Purges deleted memories past CAIRN_DELETED_RETENTION_DAYS and audit events past CAIRN_AUDIT_RETENTION_DAYS. */
  readonly retention: RetentionSweeper;
  /** Roles on memories (a viewer only reads), asked by every memory operation beside the app controls. */
  readonly roles: RoleGuard;
  /** Shared workspaces, members, roles and invitations. */
  readonly workspaces: WorkspaceService;
  /** Creating invitations, mailed to their address when CAIRN_SMTP_URL is set (dashboard and CLI). */
  readonly invitations: InvitationSender;
  readonly embedder: Embedder | undefined;
  readonly embeddings: EmbeddingServices | undefined;
  /** Browser accounts (better-auth, loaded on first use), setup links and the session reader. */
  readonly accounts: Accounts;
  /** The browser session behind a request (login, consent, dashboard); never used by /mcp or /api. */
  readonly sessions: SessionReader;
  /** The OAuth authorization server's signing keys, storage, grants and client-credentials clients. */
  readonly oauth: OAuthServices;
  /** Starts the periodic flushers and the retention sweep (the server does; one-shot CLI commands do not). */
  start(): void;
  /** Stops the flushers and writes what they hold; stops the embedding worker and a retention sweep after their current batch. */
  flush(): Promise<void>;
}

export function buildServices(config: Config & { secret: string }, storage: Storage, clock: Clock, log: Logger, options: ServiceOptions = {}): Services {
  const { db, dialect } = storage;
  const keyStore = new KyselyApiKeyStore(db);
  const audit = new KyselyAuditStore(db);
  const apps = new KyselyAppStore(db);
  // Cached like credentials: a pause reaches other instances within CAIRN_AUTH_CACHE_TTL_SECONDS.
  const appAccess = new AppAccessGuard(apps, clock, { ttlMs: config.auth.cacheTtlMs, maxEntries: config.auth.cacheMaxEntries });
  const usage = new UsageRecorder(keyStore, log);
  const accessLog = new BufferedAccessLog(audit, {
    maxBuffered: 1000,
    onError: (err, dropped) => log.warn({ err, dropped }, 'could not write access log entries; will retry'),
  });
  const verifier = new ApiKeyVerifier(keyStore, deriveKey(config.secret, 'api-key-pepper/v1'), usage, clock, {
    ttlMs: config.auth.cacheTtlMs,
    maxEntries: config.auth.cacheMaxEntries,
  });
  const userStore = new KyselyUserStore(db);
  const oauth = buildOAuthServices({ secret: config.secret, storage, apps, users: userStore, clock, log, cacheTtlMs: config.auth.cacheTtlMs, cacheMaxEntries: config.auth.cacheMaxEntries, accessTokenTtlSeconds: config.oauth.accessTokenTtlSeconds });
  // Tokens are verified against this server's own keys and grants.
  const accessTokens = buildAccessTokens(config, { keys: oauth.keys, liveness: oauth.grants }, userStore, clock);
  // A revocation (or a deleted client) on this instance reaches the token cache at once.
  oauth.grants.onRevoked((grantId) => accessTokens.forgetGrant(grantId));
  oauth.clients.onDeleted((clientId) => accessTokens.forgetClient(clientId));
  const embeddings = options.embedder ? buildEmbeddings(storage, options.embedder, options.vectorSearch ?? 'exact', clock, log) : undefined;
  const memoryStore = new KyselyMemoryStore(db, dialect, { enqueueEmbeddings: embeddings !== undefined });
  const semantic =
    options.embedder && embeddings
      ? { embedder: options.embedder, vectors: embeddings.vectors, onError: atMostOncePerMinute((err, suppressed) => log.warn({ err, suppressed }, 'search fell back to lexical-only: the query could not be embedded')) }
      : undefined;
  const users = new UserService(userStore, clock);
  // Cached like app access: a role change made elsewhere reaches this instance within CAIRN_AUTH_CACHE_TTL_SECONDS.
  const roles = new RoleGuard(userStore, clock, { ttlMs: config.auth.cacheTtlMs, maxEntries: config.auth.cacheMaxEntries });
  const workspaces = new WorkspaceService(
    new KyselyWorkspaceStore(db, dialect),
    userStore,
    {
      // Changes made here apply here at once: the role cache, and (when a membership ends) the credential
      // caches, so the person's keys, grants and clients for that workspace stop working now.
      roleChanged(userId, workspaceId, role) {
        roles.changed(userId, workspaceId, role);
        if (role === undefined) forgetCredentials();
      },
      workspaceDeleted(workspaceId) {
        roles.workspaceDeleted(workspaceId);
        forgetCredentials();
      },
    },
    clock,
  );
  const forgetCredentials = () => {
    verifier.clear();
    accessTokens.clear();
  };
  // Every memory operation, export and import included, asks the member's role first, then the app's access.
  const memoryAccess = memoryAccessGuard(roles, appAccess);
  const retention = new RetentionSweeper(new KyselyRetentionStore(db), audit, clock, config.retention, {
    onError: (err) => log.warn({ err }, 'the retention sweep failed; it runs again at the next interval'),
  });
  const retentionSchedule = options.retentionSchedule ?? { firstDelayMs: RETENTION_FIRST_SWEEP_MS, intervalMs: RETENTION_SWEEP_INTERVAL_MS };
  const accounts = new Accounts({ config, storage, users, clock, log });
  const mailer = options.mailer ?? (config.mail ? new SmtpMailer(config.mail) : undefined);
  return {
    storage,
    memories: new MemoryService(memoryStore, accessLog, clock, memoryAccess, semantic, config.retention),
    transfer: new TransferService(new KyselyTransferStore(db, { enqueueEmbeddings: embeddings !== undefined }), memoryAccess, clock),
    users,
    apiKeys: new ApiKeyService(keyStore, apps, verifier, clock),
    workspaceKeys: new WorkspaceKeys(keyStore, userStore, verifier, clock),
    workspaceConnections: new WorkspaceConnections(oauth.grants, oauth.clients, userStore, clock),
    verifier,
    accessTokens,
    usage,
    accessLog,
    audit,
    apps,
    appAccess,
    appControls: new AppControls(apps, userStore, appAccess, clock),
    retention,
    roles,
    workspaces,
    invitations: new InvitationSender(workspaces, mailer, config.http.publicUrl, log),
    embedder: options.embedder,
    embeddings,
    accounts,
    sessions: accounts.sessions,
    oauth,
    start() {
      usage.start(config.flushIntervalMs);
      accessLog.start(config.flushIntervalMs);
      embeddings?.worker.start(EMBEDDING_POLL_MS);
      oauth.start();
      retention.start(retentionSchedule.firstDelayMs, retentionSchedule.intervalMs);
    },
    async flush() {
      oauth.stop();
      usage.stop();
      accessLog.stop();
      await Promise.allSettled([usage.flush(), accessLog.flush(), embeddings?.worker.close(), retention.close()]);
    },
  };
}

/**
 * The resource server's token check: local JWT verification against the published keys, liveness and
 * membership re-checked on the API-key cache schedule (CAIRN_AUTH_CACHE_TTL_SECONDS) and bounded the same way.
 */
function buildAccessTokens(config: Config, sources: TokenSources, users: KyselyUserStore, clock: Clock): AccessTokenVerifier {
  return new AccessTokenVerifier(sources.keys, sources.liveness, membershipFromUsers(users), clock, {
    publicUrl: config.http.publicUrl,
    recheckMs: config.auth.cacheTtlMs,
    maxEntries: config.auth.cacheMaxEntries,
  });
}

function buildEmbeddings(storage: Storage, embedder: Embedder, kind: VectorSearchKind, clock: Clock, log: Logger): EmbeddingServices {
  const queue = new KyselyEmbeddingQueue(storage.db, kind);
  return {
    vectors: new KyselyVectorIndex(storage.db, embedder, kind, () => clock.now()),
    queue,
    worker: new EmbeddingWorker(queue, embedder, clock, { log }),
  };
}

/**
 * While the embedder is down every search falls back, and one warning per search would bury the log;
 * one a minute, with how many were folded into it, says the same.
 */
function atMostOncePerMinute(report: (err: unknown, suppressed: number) => void): (err: unknown) => void {
  let last = -Infinity;
  let suppressed = 0;
  return (err) => {
    const now = Date.now();
    if (now - last < 60_000) {
      suppressed += 1;
      return;
    }
    report(err, suppressed);
    last = now;
    suppressed = 0;
  };
}
