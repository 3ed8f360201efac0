import { existsSync, realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { buildApp } from './app.js';
import { ConfigError } from './config/load.js';
import { openRuntime, type Runtime } from './runtime.js';
import { MigrationError } from './storage/migrate.js';
import { explainError } from './cli/explain-error.js';
import { VERSION } from './version.js';

/**
 * The server process: open the runtime, build the app, listen, and shut down gracefully on SIGTERM or
 * SIGINT (stop accepting, finish in-flight requests, flush usage counters and the access log, close the
 * database). A start-up failure prints its reason and exits non-zero; it never half-starts.
 */
export async function serve(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  let runtime: Runtime;
  try {
    runtime = await openRuntime({ env, migrate: 'config' });
  } catch (err) {
    process.exitCode = 1;
    console.error(startupMessage(err));
    return;
  }
  const { config, logger, services } = runtime;
  try {
    // Browser accounts start with the server (this reads the OpenID Connect provider's discovery document),
    // so a problem with them stops the start instead of failing the first sign-in.
    await services.accounts.auth();
  } catch (err) {
    process.exitCode = 1;
    console.error(startupMessage(err));
    await runtime.close();
    return;
  }
  const app = await buildApp({ config, services, logger });
  services.start();

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      logger.error('shutdown timed out; exiting');
      process.exit(1);
    }, config.http.shutdownTimeoutMs);
    force.unref();
    try {
      await app.close();
      await runtime.close();
      logger.info('stopped');
    } catch (err) {
      logger.error({ err }, 'error during shutdown');
      process.exitCode = 1;
    }
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));

  try {
    await app.listen({ host: config.http.host, port: config.http.port });
  } catch (err) {
    console.error(`Cairn cannot listen on ${config.http.host}:${config.http.port}: ${(err as Error).message}`);
    process.exitCode = 1;
    await runtime.close();
    return;
  }
  logger.info(
    { version: VERSION, url: config.http.publicUrl, database: config.database.dialect, mcp: `${config.http.publicUrl}/mcp` },
    'Cairn is listening',
  );
  // No administrator yet: a one-time link (stored hashed, one hour, single use) to create the first one.
  const setupLink = await services.accounts.firstAdminLink().catch((err: unknown) => {
    logger.error({ err }, 'could not create the first-run setup link');
    return undefined;
  });
  if (setupLink !== undefined) {
    logger.info(
      `Open ${setupLink} to create the first admin account (the link works once, for one hour; a restart prints a new one), or run: npx cairn user create --email you@example.com --admin`,
    );
  }
}

/**
 * Why the server could not start, in one paragraph for anything the operator can fix (configuration,
 * migrations, an unreachable database, an unwritable data directory); the stack only for a bug.
 */
export function startupMessage(err: unknown): string {
  if (err instanceof ConfigError || err instanceof MigrationError) return err.message;
  const known = explainError(err);
  return known !== undefined ? `Cairn cannot start: ${known}` : `Cairn cannot start: ${(err as Error)?.stack ?? String(err)}`;
}

// realpath: a symlinked path to this file (npm links, /usr/local/bin) must still count as running it.
if (process.argv[1] && existsSync(process.argv[1]) && pathToFileURL(realpathSync(process.argv[1])).href === import.meta.url) void serve();
