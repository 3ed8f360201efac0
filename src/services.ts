import type { Logger } from 'pino';
import { ApiKeyService } from './auth/api-keys/api-key-service.js';
import { UsageRecorder } from './auth/api-keys/usage-recorder.js';
import { ApiKeyVerifier } from './auth/api-keys/verify-api-key.js';
import { deriveKey } from './auth/secrets.js';
import type { Config } from './config/schema.js';
import { BufferedAccessLog } from './core/audit/buffered-access-log.js';
import type { Clock } from './core/clock.js';
import { MemoryService } from './core/memories/memory-service.js';
import { UserService } from './core/users/user-service.js';
import { KyselyApiKeyStore } from './storage/api-keys-repo.js';
import { KyselyAuditStore } from './storage/audit-repo.js';
import type { Storage } from './storage/db.js';
import { KyselyMemoryStore } from './storage/memories-repo.js';
import { KyselyAppStore, KyselyUserStore } from './storage/users-repo.js';

/** Everything the surfaces and the CLI use, built once per process from config + storage. */
export interface Services {
  readonly storage: Storage;
  readonly memories: MemoryService;
  readonly users: UserService;
  readonly apiKeys: ApiKeyService;
  readonly verifier: ApiKeyVerifier;
  readonly usage: UsageRecorder;
  readonly accessLog: BufferedAccessLog;
  readonly audit: KyselyAuditStore;
  readonly apps: KyselyAppStore;
  /** Starts the periodic flushers (the server does; one-shot CLI commands do not). */
  start(): void;
  /** Stops the flushers and writes what they hold. */
  flush(): Promise<void>;
}

export function buildServices(config: Config & { secret: string }, storage: Storage, clock: Clock, log: Logger): Services {
  const { db, dialect } = storage;
  const keyStore = new KyselyApiKeyStore(db);
  const audit = new KyselyAuditStore(db);
  const apps = new KyselyAppStore(db);
  const usage = new UsageRecorder(keyStore, log);
  const accessLog = new BufferedAccessLog(audit, {
    maxBuffered: 1000,
    onError: (err, dropped) => log.warn({ err, dropped }, 'could not write access log entries; will retry'),
  });
  const verifier = new ApiKeyVerifier(keyStore, deriveKey(config.secret, 'api-key-pepper/v1'), usage, clock, {
    ttlMs: config.auth.cacheTtlMs,
    maxEntries: config.auth.cacheMaxEntries,
  });
  return {
    storage,
    memories: new MemoryService(new KyselyMemoryStore(db, dialect), accessLog, clock),
    users: new UserService(new KyselyUserStore(db), clock),
    apiKeys: new ApiKeyService(keyStore, apps, verifier, clock),
    verifier,
    usage,
    accessLog,
    audit,
    apps,
    start() {
      usage.start(config.flushIntervalMs);
      accessLog.start(config.flushIntervalMs);
    },
    async flush() {
      usage.stop();
      accessLog.stop();
      await Promise.allSettled([usage.flush(), accessLog.flush()]);
    },
  };
}
