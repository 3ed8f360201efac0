import type { Logger } from 'pino';
import { ensureSecret, loadConfig } from './config/load.js';
import type { Config } from './config/schema.js';
import { systemClock, type Clock } from './core/clock.js';
import { createLogger } from './logging.js';
import { buildServices, type ServiceOptions, type Services } from './services.js';
import { openStorage, type OpenOptions, type Storage } from './storage/db.js';
import { migrate, type MigrationReport } from './storage/migrate.js';
import { chooseVectorSearch } from './storage/vectors-repo.js';
import type { Embedder } from './core/search/embedder.js';
import { createEmbedder } from './embeddings/index.js';

export interface Runtime {
  readonly config: Config & { secret: string };
  readonly logger: Logger;
  readonly storage: Storage;
  readonly services: Services;
  readonly migrations: MigrationReport | undefined;
  /** Flushes buffered usage and audit entries, then closes the database. */
  close(): Promise<void>;
}

export interface RuntimeOptions {
  readonly env: NodeJS.ProcessEnv;
  /** Apply migrations now: the server does when CAIRN_MIGRATE_ON_START is on; `cairn migrate` always. */
  readonly migrate: 'config' | 'always' | 'never';
  readonly logger?: Logger;
  readonly clock?: Clock;
  readonly storageOptions?: OpenOptions;
  readonly cwd?: string;
  /** The embedder to use instead of the configured one (tests). */
  readonly embedder?: Embedder;
  /** When the retention sweep runs after `services.start()` (tests; default a minute after start, then hourly). */
  readonly retentionSchedule?: ServiceOptions['retentionSchedule'];
}

/**
 * Config → secret → logger → database → migrations → services: the start-up sequence shared by the
 * server and the CLI. Any failure here is reported with its reason and nothing is left open.
 */
export async function openRuntime(options: RuntimeOptions): Promise<Runtime> {
  const config = ensureSecret(loadConfig(options.env, options.cwd ? { cwd: options.cwd } : {}));
  const logger = options.logger ?? createLogger(config.log.level);
  const storage = openStorage(config.database, {
    onPoolError: (err) => logger.warn({ err }, 'idle database connection failed'),
    ...options.storageOptions,
  });
  try {
    const shouldMigrate = options.migrate === 'always' || (options.migrate === 'config' && config.migrateOnStart);
    const migrations = shouldMigrate ? await migrate(storage) : undefined;
    if (migrations && migrations.applied.length > 0) logger.info({ applied: migrations.applied }, 'database migrated');
    // Probed once here: logs whether search is semantic or lexical-only, and why (see createEmbedder).
    const configured = options.embedder ? undefined : await createEmbedder(config.embedder, logger);
    const embedder = options.embedder ?? configured;
    // Chosen once per process and logged once: which vector search path this deployment uses, and why.
    const vectorSearch = embedder ? await chooseVectorSearch(storage) : undefined;
    if (vectorSearch) logger.info({ vectorSearch: vectorSearch.kind }, vectorSearch.reason);
    const services = buildServices(config, storage, options.clock ?? systemClock, logger, {
      ...(embedder ? { embedder } : {}),
      ...(vectorSearch ? { vectorSearch: vectorSearch.kind } : {}),
      ...(options.retentionSchedule ? { retentionSchedule: options.retentionSchedule } : {}),
    });
    return {
      config,
      logger,
      storage,
      services,
      migrations,
      async close() {
        await services.flush();
        await configured?.close();
        await storage.close();
      },
    };
  } catch (err) {
    await storage.close().catch(() => undefined);
    throw err;
  }
}
