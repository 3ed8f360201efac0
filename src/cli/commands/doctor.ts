import { randomBytes } from 'node:crypto';
import { existsSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { ConfigError, ensureSecret, loadConfig } from '../../config/load.js';
import { SETTING_NAMES, type Config, type SettingName } from '../../config/schema.js';
import { probeEmbedder, type EmbedderStatus } from '../../embeddings/index.js';
import { SmtpMailer } from '../../mail/smtp-mailer.js';
import { MailDeliveryError } from '../../core/mail/mailer.js';
import { openStorage, type Storage } from '../../storage/db.js';
import { MigrationError, readMigrations } from '../../storage/migrate.js';
import { VERSION } from '../../version.js';
import type { CliContext } from '../context.js';
import { explainError } from '../explain-error.js';
import { formatTable } from '../format.js';
import { databasePasswords, describeDatabase, redactDatabaseUrl, scrubSecrets } from '../redact.js';

export interface Check {
  readonly status: 'ok' | 'warn' | 'fail';
  readonly title: string;
  readonly detail: string;
}

/** `cairn doctor`: what Cairn would run with, and whether it can. Read-only: it creates no files. */
export function registerDoctorCommand(program: Command, ctx: CliContext, setExitCode: (code: number) => void): void {
  program
    .command('doctor')
    .description('Show the effective configuration and check the database and data directory')
    .action(async () => {
      setExitCode(await runDoctor(ctx));
    });
}

export async function runDoctor(ctx: CliContext): Promise<number> {
  ctx.out(`Cairn ${VERSION} doctor (Node ${process.version})\n\n`);
  let config: Config;
  try {
    config = loadConfig(ctx.env, ctx.cwd ? { cwd: ctx.cwd } : {});
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    ctx.out(`Configuration: ${err.problems.length} problem${err.problems.length === 1 ? '' : 's'}\n`);
    ctx.out(err.problems.map((p) => `  FAIL  ${p.setting}: ${p.message}\n`).join(''));
    ctx.out(`\nVerdict: Cairn will not start until the configuration is fixed.\n`);
    return 1;
  }

  const secretFile = join(config.dataDir, 'secret');
  const usesSecretFile = config.secret === undefined;
  ctx.out('Configuration (value, then where it came from):\n');
  ctx.out(indent(formatTable(['SETTING', 'VALUE', 'SOURCE'], settingRows(config, ctx.env, usesSecretFile && existsSync(secretFile)))));

  const secrets = [
    config.secret,
    ...databasePasswords(config.database),
    config.embedder.kind === 'openai' ? config.embedder.apiKey : undefined,
    config.accounts.oidc?.clientSecret,
    config.accounts.github?.clientSecret,
    config.mail?.smtp.password,
  ];
  const checks: Check[] = [
    { status: 'ok', title: 'configuration', detail: 'every setting is valid' } satisfies Check,
    ...(usesSecretFile ? [checkSecretFile(config, secretFile)] : []),
    ...checkDirectories(config),
    ...(await checkDatabase(config)),
    ...checkPublicUrl(config),
    checkEmbedder(await probeEmbedder(config.embedder)),
    await checkMail(config),
  ].map((c) => ({ ...c, detail: scrubSecrets(c.detail, secrets) }));

  ctx.out('\nChecks:\n');
  for (const c of checks) ctx.out(`  ${c.status === 'ok' ? 'ok  ' : c.status === 'warn' ? 'WARN' : 'FAIL'}  ${c.title}: ${c.detail}\n`);
  const failures = checks.filter((c) => c.status === 'fail').length;
  ctx.out(
    failures === 0
      ? `\nVerdict: healthy. Cairn can start with this configuration (npm start, or npx cairn serve).\n`
      : `\nVerdict: ${failures} problem${failures === 1 ? '' : 's'} found. Cairn will not start, or not work, until ${failures === 1 ? 'it is' : 'they are'} fixed.\n`,
  );
  return failures === 0 ? 0 : 1;
}

/** Every setting with its effective value. Secrets are never shown, only whether they are set. */
function settingRows(config: Config, env: NodeJS.ProcessEnv, secretFileExists: boolean): string[][] {
  const values: Record<SettingName, string> = {
    CAIRN_CONFIG_FILE: env['CAIRN_CONFIG_FILE'] || '(none)',
    CAIRN_HOST: config.http.host,
    CAIRN_PORT: String(config.http.port),
    CAIRN_PUBLIC_URL: config.http.publicUrl,
    CAIRN_ALLOWED_HOSTS: config.http.allowedHosts.join(','),
    CAIRN_ALLOWED_ORIGINS: config.http.allowedOrigins.join(','),
    CAIRN_DATA_DIR: config.dataDir,
    CAIRN_DATABASE_URL: config.database.dialect === 'sqlite' ? `sqlite:${config.database.path}` : redactDatabaseUrl(config.database.url),
    CAIRN_DATABASE_POOL_SIZE: config.database.dialect === 'postgres' ? String(config.database.poolSize) : '(not used with SQLite)',
    CAIRN_MIGRATE_ON_START: String(config.migrateOnStart),
    CAIRN_SECRET:
      config.secret !== undefined ? '[redacted]' : secretFileExists ? `[redacted] (in ${join(config.dataDir, 'secret')})` : '(generated on first start)',
    CAIRN_LOG_LEVEL: config.log.level,
    CAIRN_BODY_LIMIT: `${config.http.bodyLimit} bytes`,
    CAIRN_IMPORT_MAX_BYTES: `${config.http.importMaxBytes} bytes`,
    CAIRN_TRUST_PROXY: String(config.http.trustProxy),
    CAIRN_AUTH_CACHE_TTL_SECONDS: String(config.auth.cacheTtlMs / 1000),
    CAIRN_AUTH_CACHE_MAX_ENTRIES: String(config.auth.cacheMaxEntries),
    CAIRN_FLUSH_INTERVAL_MS: String(config.flushIntervalMs),
    CAIRN_DELETED_RETENTION_DAYS: `${config.retention.deletedMemoryDays} days`,
    CAIRN_AUDIT_RETENTION_DAYS: config.retention.auditDays === 0 ? '0 (kept forever)' : `${config.retention.auditDays} days`,
    CAIRN_SHUTDOWN_TIMEOUT_MS: String(config.http.shutdownTimeoutMs),
    ...embedderRows(config),
    ...accountRows(config),
    CAIRN_OAUTH_ACCESS_TOKEN_TTL_SECONDS: String(config.oauth.accessTokenTtlSeconds),
    CAIRN_OAUTH_CIMD_ALLOW_LOOPBACK: String(config.oauth.cimdAllowLoopback),
    CAIRN_SMTP_URL: config.mail ? describeSmtp(config) : '(none: no mail is sent)',
    CAIRN_MAIL_FROM: config.mail ? config.mail.from : '(no mail server)',
  };
  return SETTING_NAMES.map((name) => [name, values[name], sourceOf(name, config, env)]);
}

function accountRows(config: Config): Record<'CAIRN_SIGNUP' | Extract<SettingName, `CAIRN_OIDC_${string}` | `CAIRN_GITHUB_${string}`>, string> {
  const { signup, oidc, github } = config.accounts;
  return {
    CAIRN_SIGNUP: signup,
    CAIRN_OIDC_ISSUER: oidc ? oidc.issuer : '(no OpenID Connect login)',
    CAIRN_OIDC_CLIENT_ID: oidc ? oidc.clientId : '(no OpenID Connect login)',
    CAIRN_OIDC_CLIENT_SECRET: oidc ? (oidc.clientSecret !== undefined ? '[redacted]' : '(none: public client)') : '(no OpenID Connect login)',
    CAIRN_OIDC_NAME: oidc ? oidc.name : '(no OpenID Connect login)',
    CAIRN_GITHUB_CLIENT_ID: github ? github.clientId : '(no GitHub login)',
    CAIRN_GITHUB_CLIENT_SECRET: github ? '[redacted]' : '(no GitHub login)',
  };
}

function embedderRows(config: Config): Record<Extract<SettingName, `CAIRN_EMBEDDER${string}`>, string> {
  const e = config.embedder;
  const unused = `(not used with CAIRN_EMBEDDER=${e.kind})`;
  return {
    CAIRN_EMBEDDER: e.kind,
    CAIRN_EMBEDDER_URL: e.kind === 'openai' ? e.url : unused,
    CAIRN_EMBEDDER_MODEL: e.kind === 'none' ? unused : e.model,
    CAIRN_EMBEDDER_API_KEY: e.kind !== 'openai' ? unused : e.apiKey !== undefined ? '[redacted]' : '(none)',
    CAIRN_EMBEDDER_DIMENSIONS: e.kind === 'none' ? unused : e.dimensions !== undefined ? String(e.dimensions) : '(learnt from the model)',
    CAIRN_EMBEDDER_MODEL_DIR: e.kind === 'local' ? e.modelDir : unused,
    CAIRN_EMBEDDER_ALLOW_DOWNLOAD: e.kind === 'local' ? String(e.allowDownload) : unused,
  };
}

/** Semantic search is optional: no embedder, or one that is down, is a note; one that refuses its settings is a failure. */
export function checkEmbedder(status: EmbedderStatus): Check {
  const title = 'embedder';
  if (status.kind === 'none') return { status: 'ok', title, detail: 'lexical-only search (no embedder configured; set CAIRN_EMBEDDER for semantic search)' };
  const what = `${status.kind} ${status.model} at ${status.where}`;
  switch (status.state) {
    case 'ready':
      return { status: 'ok', title, detail: `${what} answers (${status.dimensions} dimensions); semantic search is on` };
    case 'unreachable':
      return { status: 'warn', title, detail: `${what} is unreachable: ${status.detail}. Cairn starts lexical-only and turns semantic search on when it answers` };
    case 'unknown':
      return { status: 'warn', title, detail: `${what}: ${status.detail}` };
    case 'misconfigured':
      return { status: 'fail', title, detail: `${what}: ${status.detail}` };
  }
}

/** The SMTP server as scheme://user:*****@host:port: never the password. */
function describeSmtp(config: Config): string {
  const smtp = config.mail!.smtp;
  const user = smtp.user !== undefined ? `${encodeURIComponent(smtp.user)}${smtp.password !== undefined ? ':*****' : ''}@` : '';
  const host = smtp.host.includes(':') ? `[${smtp.host}]` : smtp.host;
  return `${smtp.secure ? 'smtps' : 'smtp'}://${user}${host}:${smtp.port}`;
}

/** Mail is optional: none configured is fine; a configured server that does not answer or refuses the login is a failure. */
async function checkMail(config: Config): Promise<Check> {
  const title = 'mail';
  if (!config.mail) return { status: 'ok', title, detail: 'not configured: invitations are not mailed, the inviter passes the link on (set CAIRN_SMTP_URL and CAIRN_MAIL_FROM to mail them)' };
  const where = describeSmtp(config);
  const mailer = new SmtpMailer(config.mail);
  try {
    await mailer.verify();
    return { status: 'ok', title, detail: `${where} answers${config.mail.smtp.user !== undefined ? ' and accepts the login' : ''}; invitations with an email address are mailed from ${config.mail.from}` };
  } catch (err) {
    const reason = err instanceof MailDeliveryError ? err.reason : 'the check failed';
    return { status: 'fail', title, detail: `${where}: ${reason}. Invitations are still created, but not mailed` };
  } finally {
    mailer.close();
  }
}

function sourceOf(name: SettingName, config: Config, env: NodeJS.ProcessEnv): string {
  // loadConfig does not record where CAIRN_CONFIG_FILE came from: it can only come from the environment.
  if (name === 'CAIRN_CONFIG_FILE') return env['CAIRN_CONFIG_FILE'] ? 'env' : 'default';
  if (name === 'CAIRN_SECRET' && config.secret === undefined) return 'generated';
  return config.sources[name] ?? 'default';
}

/** With SQLite and no CAIRN_SECRET, the secret lives in the data directory; losing it voids every key. */
function checkSecretFile(config: Config, file: string): Check {
  if (!existsSync(file)) return { status: 'ok', title: 'server secret', detail: `not generated yet; the first start writes it to ${file}` };
  try {
    ensureSecret(config); // reads and validates; never writes when the file exists
  } catch (err) {
    return { status: 'fail', title: 'server secret', detail: explainError(err) ?? String(err) };
  }
  const mode = statSync(file).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    return { status: 'warn', title: 'server secret', detail: `${file} is readable by other users (mode ${mode.toString(8)}); run: chmod 600 ${file}` };
  }
  return { status: 'ok', title: 'server secret', detail: `stored in ${file} (mode ${mode.toString(8)}); back it up with the database` };
}

/** The data directory (for the secret) and the SQLite file's directory must be writable. */
function checkDirectories(config: Config): Check[] {
  const dirs = new Set<string>();
  if (config.secret === undefined) dirs.add(config.dataDir);
  if (config.database.dialect === 'sqlite' && config.database.path !== ':memory:') dirs.add(dirname(config.database.path));
  return [...dirs].map((dir) => ({ title: 'data directory', ...probeWritable(dir) }));
}

function probeWritable(dir: string): Omit<Check, 'title'> {
  let existing = dir;
  while (!existsSync(existing) && dirname(existing) !== existing) existing = dirname(existing);
  if (!statSync(existing).isDirectory()) return { status: 'fail', detail: `${dir} cannot be created: ${existing} is a file, not a directory` };
  const probe = join(existing, `.cairn-doctor-${randomBytes(6).toString('hex')}`);
  try {
    writeFileSync(probe, '');
    unlinkSync(probe);
  } catch (err) {
    return { status: 'fail', detail: `${existing} is not writable (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` };
  }
  return existing === dir
    ? { status: 'ok', detail: `${dir} is writable` }
    : { status: 'ok', detail: `${dir} does not exist yet; it will be created under ${existing}, which is writable` };
}

async function checkDatabase(config: Config): Promise<Check[]> {
  const name = describeDatabase(config.database);
  let migrations;
  try {
    migrations = readMigrations(config.database.dialect);
  } catch (err) {
    if (!(err instanceof MigrationError)) throw err;
    return [{ status: 'fail', title: 'migrations', detail: err.message }];
  }
  const db = config.database;
  if (db.dialect === 'sqlite' && db.path !== ':memory:' && !existsSync(db.path)) {
    // Doctor does not create the file; the first start (or any cairn command) does.
    return [
      { status: 'ok', title: 'database', detail: `${name} does not exist yet; it is created on first start` },
      pendingCheck(config, migrations.map(fileName), 0),
    ];
  }
  let storage: Storage;
  try {
    storage = openStorage(db);
  } catch (err) {
    return [{ status: 'fail', title: 'database', detail: `cannot open ${name}: ${explainError(err) ?? (err as Error).message}` }];
  }
  try {
    try {
      await storage.ping();
    } catch (err) {
      return [{ status: 'fail', title: 'database', detail: `cannot connect to ${name}. ${explainError(err) ?? (err as Error).message}` }];
    }
    const applied = await storage.db.transaction().execute(async (trx) => {
      if (!(await storage.dialect.hasMigrationsTable(trx))) return [];
      return trx.selectFrom('cairn_migrations').select(['version', 'name', 'checksum']).orderBy('version').execute();
    });
    const database: Check = { status: 'ok', title: 'database', detail: `${name} answers` };
    const known = new Map(migrations.map((m) => [m.version, m]));
    const newer = applied.filter((r) => !known.has(r.version));
    if (newer.length > 0) {
      return [database, { status: 'fail', title: 'migrations', detail: `the database has migration ${newer.map((r) => `${r.version} (${r.name})`).join(', ')} that this Cairn does not know: it was migrated by a newer version. Upgrade Cairn.` }];
    }
    const changed = applied.filter((r) => known.get(r.version)!.checksum !== r.checksum);
    if (changed.length > 0) {
      return [database, { status: 'fail', title: 'migrations', detail: `${changed.map((r) => fileName(known.get(r.version)!)).join(', ')} changed after being applied; restore the original files` }];
    }
    const done = new Set(applied.map((r) => r.version));
    return [database, pendingCheck(config, migrations.filter((m) => !done.has(m.version)).map(fileName), applied.length)];
  } catch (err) {
    return [{ status: 'fail', title: 'database', detail: `cannot read the migration status of ${name}: ${explainError(err) ?? (err as Error).message}` }];
  } finally {
    await storage.close().catch(() => undefined);
  }
}

function pendingCheck(config: Config, pending: string[], appliedCount: number): Check {
  const counts = `${appliedCount} applied, ${pending.length} pending`;
  if (pending.length === 0) return { status: 'ok', title: 'migrations', detail: `${counts}; the schema is current` };
  if (config.migrateOnStart) return { status: 'ok', title: 'migrations', detail: `${counts} (${pending.join(', ')}); applied automatically at start` };
  return { status: 'fail', title: 'migrations', detail: `${counts} (${pending.join(', ')}) and CAIRN_MIGRATE_ON_START is off; run: npx cairn migrate` };
}

/** Client configurations are written from the public URL, so one that other machines cannot reach is worth a warning. */
function checkPublicUrl(config: Config): Check[] {
  const wildcard = config.http.host === '0.0.0.0' || config.http.host === '::';
  const loopback = /^(localhost|127\.|\[::1\])/.test(new URL(config.http.publicUrl).host);
  if (wildcard && loopback) {
    return [{ status: 'warn', title: 'public URL', detail: `listening on all interfaces but CAIRN_PUBLIC_URL is ${config.http.publicUrl}; client configurations will only work on this machine` }];
  }
  return [];
}

function fileName(m: { version: number; name: string }): string {
  return `${String(m.version).padStart(4, '0')}_${m.name}.sql`;
}

function indent(text: string): string {
  return text.replace(/^(?=.)/gm, '  ');
}
