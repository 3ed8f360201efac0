import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { SETTINGS, SETTING_NAMES, type AccountsConfig, type Config, type DatabaseConfig, type EmbedderConfig, type LogLevel, type MailConfig, type SettingName, type SignupPolicy } from './schema.js';
import { closestName } from './suggest.js';

export interface ConfigProblem {
  readonly setting: string;
  readonly message: string;
}

/** Every configuration problem at once, so a person fixes them in one go rather than one per start. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(
      `Cairn cannot start: ${problems.length} configuration problem${problems.length === 1 ? '' : 's'}:\n` +
        problems.map((p) => `  - ${p.setting}: ${p.message}`).join('\n'),
    );
  }
}

export interface LoadOptions {
  /** Base directory for relative paths (the process cwd by default). */
  readonly cwd?: string;
}

type Raw = Partial<Record<SettingName, unknown>>;

/**
 * Reads `CAIRN_*` settings from `env` (and the JSON file named by `CAIRN_CONFIG_FILE`), validates all of
 * them, and returns the typed configuration, or throws one `ConfigError` listing every problem: unknown
 * names (with a "did you mean"), wrong types, and settings that do not fit together.
 */
export function loadConfig(env: NodeJS.ProcessEnv, options: LoadOptions = {}): Config {
  const cwd = options.cwd ?? process.cwd();
  const problems: ConfigProblem[] = [];
  const sources: Record<string, 'env' | 'file' | 'default' | 'generated'> = {};

  const fromEnv: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('CAIRN_') || value === undefined) continue;
    fromEnv[name] = value;
  }
  const fromFile = readConfigFile(fromEnv['CAIRN_CONFIG_FILE'], cwd, problems);

  const raw: Raw = {};
  for (const [origin, values] of [['file', fromFile], ['env', fromEnv]] as const) {
    for (const [name, value] of Object.entries(values)) {
      if (!(name in SETTINGS)) {
        const hint = closestName(name, SETTING_NAMES);
        const where = origin === 'file' ? ' (in the config file)' : '';
        problems.push({ setting: name, message: `unknown setting${where}${hint ? `; did you mean ${hint}?` : ''}` });
        continue;
      }
      if (origin === 'env' && name === 'CAIRN_CONFIG_FILE') continue;
      raw[name as SettingName] = value;
      sources[name] = origin;
    }
  }

  const parsed: Partial<Record<SettingName, unknown>> = {};
  for (const name of SETTING_NAMES) {
    if (name === 'CAIRN_CONFIG_FILE') continue;
    const spec = SETTINGS[name];
    const value = raw[name];
    if (value === undefined || value === '') continue;
    const result = spec.schema.safeParse(value);
    if (result.success) parsed[name] = result.data;
    else problems.push({ setting: name, message: describe(result.error.issues, 'secret' in spec && spec.secret) });
  }

  const host = (parsed.CAIRN_HOST as string | undefined) ?? '127.0.0.1';
  const port = (parsed.CAIRN_PORT as number | undefined) ?? 8787;
  const dataDir = resolve(cwd, (parsed.CAIRN_DATA_DIR as string | undefined) ?? './data');
  const publicUrl = normalisePublicUrl(parsed.CAIRN_PUBLIC_URL as string | undefined, host, port, problems);
  const database = parseDatabaseUrl(parsed.CAIRN_DATABASE_URL as string | undefined, dataDir, cwd, parsed, problems);
  const secret = parsed.CAIRN_SECRET as string | undefined;
  if (database?.dialect === 'postgres' && secret === undefined && !problems.some((p) => p.setting === 'CAIRN_SECRET')) {
    problems.push({
      setting: 'CAIRN_SECRET',
      message: 'is required with PostgreSQL: every instance must share the same secret (generate one with: openssl rand -base64 48)',
    });
  }

  const embedder = parseEmbedder(parsed, dataDir, cwd, problems);
  const accounts = parseAccounts(parsed, problems);
  const mail = parseMail(parsed, problems);
  checkBetterAuthEnv(env, problems);

  if (problems.length > 0 || !database || !publicUrl) throw new ConfigError(problems);

  for (const name of SETTING_NAMES) sources[name] ??= 'default';
  const loopback = isLoopbackHost(new URL(publicUrl).hostname);
  const url = new URL(publicUrl);
  return {
    http: {
      host,
      port,
      publicUrl,
      allowedHosts: (parsed.CAIRN_ALLOWED_HOSTS as string[] | undefined) ?? defaultHosts(url, loopback),
      allowedOrigins: (parsed.CAIRN_ALLOWED_ORIGINS as string[] | undefined) ?? defaultOrigins(url, loopback),
      bodyLimit: (parsed.CAIRN_BODY_LIMIT as number | undefined) ?? 1024 * 1024,
      importMaxBytes: (parsed.CAIRN_IMPORT_MAX_BYTES as number | undefined) ?? 256 * 1024 * 1024,
      trustProxy: (parsed.CAIRN_TRUST_PROXY as boolean | undefined) ?? false,
      shutdownTimeoutMs: (parsed.CAIRN_SHUTDOWN_TIMEOUT_MS as number | undefined) ?? 10_000,
    },
    database,
    migrateOnStart: (parsed.CAIRN_MIGRATE_ON_START as boolean | undefined) ?? true,
    dataDir,
    secret,
    log: { level: (parsed.CAIRN_LOG_LEVEL as LogLevel | undefined) ?? 'info' },
    auth: {
      cacheTtlMs: ((parsed.CAIRN_AUTH_CACHE_TTL_SECONDS as number | undefined) ?? 30) * 1000,
      cacheMaxEntries: (parsed.CAIRN_AUTH_CACHE_MAX_ENTRIES as number | undefined) ?? 10_000,
    },
    flushIntervalMs: (parsed.CAIRN_FLUSH_INTERVAL_MS as number | undefined) ?? 5000,
    retention: {
      deletedMemoryDays: (parsed.CAIRN_DELETED_RETENTION_DAYS as number | undefined) ?? 30,
      auditDays: (parsed.CAIRN_AUDIT_RETENTION_DAYS as number | undefined) ?? 365,
    },
    embedder,
    accounts,
    oauth: {
      accessTokenTtlSeconds: (parsed.CAIRN_OAUTH_ACCESS_TOKEN_TTL_SECONDS as number | undefined) ?? 300,
      cimdAllowLoopback: (parsed.CAIRN_OAUTH_CIMD_ALLOW_LOOPBACK as boolean | undefined) ?? false,
    },
    mail,
    sources,
  };
}

/**
 * Gives the configuration its server secret. With SQLite and no `CAIRN_SECRET`, the secret lives in
 * `<dataDir>/secret` (created with mode 0600 on first start); losing that file invalidates every API key,
 * which is why PostgreSQL deployments must pass the secret explicitly.
 */
export function ensureSecret(config: Config): Config & { secret: string } {
  if (config.secret !== undefined) return config as Config & { secret: string };
  const file = join(config.dataDir, 'secret');
  if (existsSync(file)) {
    const value = readFileSync(file, 'utf8').trim();
    if (value.length < 32) {
      throw new ConfigError([{ setting: 'CAIRN_SECRET', message: `the secret file ${file} is shorter than 32 characters; restore it from a backup or set CAIRN_SECRET` }]);
    }
    return { ...config, secret: value, sources: { ...config.sources, CAIRN_SECRET: 'file' } };
  }
  mkdirSync(config.dataDir, { recursive: true });
  const value = randomBytes(48).toString('base64url');
  writeFileSync(file, value + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return { ...config, secret: value, sources: { ...config.sources, CAIRN_SECRET: 'generated' } };
}

function readConfigFile(path: unknown, cwd: string, problems: ConfigProblem[]): Record<string, unknown> {
  if (typeof path !== 'string' || path === '') return {};
  const full = resolve(cwd, path);
  let text: string;
  try {
    text = readFileSync(full, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    problems.push({ setting: 'CAIRN_CONFIG_FILE', message: `cannot read ${full} (${code === 'ENOENT' ? 'no such file' : code ?? String(err)})` });
    return {};
  }
  try {
    const value: unknown = JSON.parse(text);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('not an object');
    return value as Record<string, unknown>;
  } catch (err) {
    problems.push({ setting: 'CAIRN_CONFIG_FILE', message: `${full} is not a JSON object of CAIRN_* settings (${(err as Error).message})` });
    return {};
  }
}

function describe(issues: readonly { message: string }[], secret: boolean | undefined): string {
  const text = issues.map((i) => i.message).join('; ');
  // zod messages never echo the input, but be explicit: a secret's value must not reach the terminal.
  return secret ? text.replace(/:[^;]*received[^;]*/gi, '') : text;
}

function normalisePublicUrl(value: string | undefined, host: string, port: number, problems: ConfigProblem[]): string | undefined {
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const raw = value ?? `http://${shownHost}:${port}`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    problems.push({ setting: 'CAIRN_PUBLIC_URL', message: 'must be an absolute http(s) URL' });
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    problems.push({ setting: 'CAIRN_PUBLIC_URL', message: 'must use http or https' });
    return undefined;
  }
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash || url.username || url.password) {
    problems.push({ setting: 'CAIRN_PUBLIC_URL', message: 'must be an origin only (scheme://host[:port]) with no path, query or credentials' });
    return undefined;
  }
  return url.origin;
}

function parseDatabaseUrl(
  value: string | undefined,
  dataDir: string,
  cwd: string,
  parsed: Partial<Record<SettingName, unknown>>,
  problems: ConfigProblem[],
): DatabaseConfig | undefined {
  const poolSize = (parsed.CAIRN_DATABASE_POOL_SIZE as number | undefined) ?? 10;
  if (value === undefined) return { dialect: 'sqlite', path: join(dataDir, 'cairn.db') };
  if (/^postgres(ql)?:\/\//i.test(value)) {
    try {
      new URL(value);
    } catch {
      problems.push({ setting: 'CAIRN_DATABASE_URL', message: 'is not a valid postgres:// URL' });
      return undefined;
    }
    return { dialect: 'postgres', url: value, poolSize };
  }
  const m = /^sqlite:(?:\/\/)?(.+)$/i.exec(value);
  if (m?.[1]) {
    const path = m[1] === ':memory:' ? ':memory:' : isAbsolute(m[1]) ? m[1] : resolve(cwd, m[1]);
    return { dialect: 'sqlite', path };
  }
  problems.push({
    setting: 'CAIRN_DATABASE_URL',
    message: 'must start with sqlite: (e.g. sqlite:./data/cairn.db) or postgres:// (e.g. postgres://cairn@db:5432/cairn)',
  });
  return undefined;
}

/** Texts per embedding request: well under every provider's limit, large enough to drain a backlog quickly. */
const EMBEDDER_BATCH_SIZE = 32;
const LOCAL_EMBEDDER_BATCH_SIZE = 16;
const EMBEDDER_TIMEOUT_MS = 30_000;

/** The embedder settings as one object; a provider missing what it needs is a problem like any other. */
function parseEmbedder(parsed: Partial<Record<SettingName, unknown>>, dataDir: string, cwd: string, problems: ConfigProblem[]): EmbedderConfig {
  const kind = (parsed.CAIRN_EMBEDDER as EmbedderConfig['kind'] | undefined) ?? 'none';
  const model = parsed.CAIRN_EMBEDDER_MODEL as string | undefined;
  const dimensions = parsed.CAIRN_EMBEDDER_DIMENSIONS as number | undefined;
  const need = (setting: SettingName, example: string) => {
    // Not when the value was given but invalid: that problem is already listed.
    if (!problems.some((p) => p.setting === setting)) problems.push({ setting, message: `is required when CAIRN_EMBEDDER=${kind} (e.g. ${example})` });
  };
  if (kind === 'openai') {
    const raw = parsed.CAIRN_EMBEDDER_URL as string | undefined;
    let url: string | undefined;
    if (raw === undefined) need('CAIRN_EMBEDDER_URL', 'http://127.0.0.1:11434/v1 for Ollama');
    else if (!/^https?:\/\//i.test(raw)) problems.push({ setting: 'CAIRN_EMBEDDER_URL', message: 'must use http or https' });
    // fetch refuses URLs with credentials, and a key in a URL ends up in logs: it has its own setting.
    else if (/^https?:\/\/[^/]*@/i.test(raw)) problems.push({ setting: 'CAIRN_EMBEDDER_URL', message: 'must not contain credentials; put the key in CAIRN_EMBEDDER_API_KEY' });
    // Accept the full endpoint too: requests go to <url>/embeddings.
    else url = raw.replace(/\/+$/, '').replace(/\/embeddings$/i, '');
    if (model === undefined) need('CAIRN_EMBEDDER_MODEL', 'text-embedding-3-small, or nomic-embed-text with Ollama');
    if (url === undefined || model === undefined) return { kind: 'none' };
    const apiKey = parsed.CAIRN_EMBEDDER_API_KEY as string | undefined;
    return {
      kind,
      url,
      model,
      ...(apiKey !== undefined ? { apiKey } : {}),
      ...(dimensions !== undefined ? { dimensions } : {}),
      batchSize: EMBEDDER_BATCH_SIZE,
      timeoutMs: EMBEDDER_TIMEOUT_MS,
    };
  }
  if (kind === 'local') {
    if (model === undefined) {
      need('CAIRN_EMBEDDER_MODEL', 'Xenova/all-MiniLM-L6-v2');
      return { kind: 'none' };
    }
    const dir = parsed.CAIRN_EMBEDDER_MODEL_DIR as string | undefined;
    return {
      kind,
      model: isAbsolute(model) || model.startsWith('.') ? resolve(cwd, model) : model,
      modelDir: dir === undefined ? join(dataDir, 'models') : resolve(cwd, dir),
      allowDownload: (parsed.CAIRN_EMBEDDER_ALLOW_DOWNLOAD as boolean | undefined) ?? false,
      ...(dimensions !== undefined ? { dimensions } : {}),
      batchSize: LOCAL_EMBEDDER_BATCH_SIZE,
    };
  }
  return { kind: 'none' };
}

/**
 * The browser-account settings as one object: an upstream login needs its issuer (or client id) and its
 * credentials together, and `upstream` sign-up needs an upstream login to sign up through.
 */
function parseAccounts(parsed: Partial<Record<SettingName, unknown>>, problems: ConfigProblem[]): AccountsConfig {
  const signup = (parsed.CAIRN_SIGNUP as SignupPolicy | undefined) ?? 'closed';
  const given = (name: SettingName) => parsed[name] !== undefined || problems.some((p) => p.setting === name);
  const need = (name: SettingName, because: string) => {
    if (!given(name)) problems.push({ setting: name, message: `is required when ${because}` });
  };
  let oidc: AccountsConfig['oidc'];
  const issuer = parsed.CAIRN_OIDC_ISSUER as string | undefined;
  if (issuer !== undefined) need('CAIRN_OIDC_CLIENT_ID', 'CAIRN_OIDC_ISSUER is set');
  else for (const name of ['CAIRN_OIDC_CLIENT_ID', 'CAIRN_OIDC_CLIENT_SECRET', 'CAIRN_OIDC_NAME'] as const) if (parsed[name] !== undefined) need('CAIRN_OIDC_ISSUER', `${name} is set`);
  if (issuer !== undefined) {
    const url = new URL(issuer);
    // OpenID Connect issuers are https; plain http only for a provider on this machine (development, tests).
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
      problems.push({ setting: 'CAIRN_OIDC_ISSUER', message: 'must use https (plain http only for a loopback host such as 127.0.0.1)' });
    } else if (url.search || url.hash || url.username || url.password) {
      problems.push({ setting: 'CAIRN_OIDC_ISSUER', message: 'must be the issuer URL itself, with no query, fragment or credentials' });
    } else if (parsed.CAIRN_OIDC_CLIENT_ID !== undefined) {
      const secret = parsed.CAIRN_OIDC_CLIENT_SECRET as string | undefined;
      oidc = {
        issuer,
        clientId: parsed.CAIRN_OIDC_CLIENT_ID as string,
        ...(secret !== undefined ? { clientSecret: secret } : {}),
        name: (parsed.CAIRN_OIDC_NAME as string | undefined) ?? url.hostname,
      };
    }
  }
  let github: AccountsConfig['github'];
  const githubId = parsed.CAIRN_GITHUB_CLIENT_ID as string | undefined;
  const githubSecret = parsed.CAIRN_GITHUB_CLIENT_SECRET as string | undefined;
  if (githubId !== undefined) need('CAIRN_GITHUB_CLIENT_SECRET', 'CAIRN_GITHUB_CLIENT_ID is set');
  if (githubSecret !== undefined) need('CAIRN_GITHUB_CLIENT_ID', 'CAIRN_GITHUB_CLIENT_SECRET is set');
  if (githubId !== undefined && githubSecret !== undefined) github = { clientId: githubId, clientSecret: githubSecret };
  if (signup === 'upstream' && !given('CAIRN_OIDC_ISSUER') && !given('CAIRN_GITHUB_CLIENT_ID')) {
    problems.push({ setting: 'CAIRN_SIGNUP', message: 'upstream needs an upstream login to sign up through: set CAIRN_OIDC_ISSUER or CAIRN_GITHUB_CLIENT_ID' });
  }
  return { signup, ...(oidc ? { oidc } : {}), ...(github ? { github } : {}) };
}

/** A mailbox: `someone@example.com` or `Name <someone@example.com>`. */
const MAILBOX = /^(?:[^<>\r\n]*<[^\s@<>]+@[^\s@<>]+>|[^\s@<>]+@[^\s@<>]+)$/;

/**
 * Outgoing mail as one object: the SMTP URL taken apart (so the password is a field of its own, never part
 * of a string that gets printed) and the sender, which the URL needs. A problem never echoes the URL.
 */
function parseMail(parsed: Partial<Record<SettingName, unknown>>, problems: ConfigProblem[]): MailConfig | undefined {
  const raw = parsed.CAIRN_SMTP_URL as string | undefined;
  const from = parsed.CAIRN_MAIL_FROM as string | undefined;
  const given = (name: SettingName) => parsed[name] !== undefined || problems.some((p) => p.setting === name);
  if (raw === undefined) {
    if (from !== undefined && !given('CAIRN_SMTP_URL')) problems.push({ setting: 'CAIRN_SMTP_URL', message: 'is required when CAIRN_MAIL_FROM is set (or unset CAIRN_MAIL_FROM: without a mail server Cairn sends no mail)' });
    return undefined;
  }
  if (from === undefined && !given('CAIRN_MAIL_FROM')) {
    problems.push({ setting: 'CAIRN_MAIL_FROM', message: 'is required when CAIRN_SMTP_URL is set: the sender of invitation mail (e.g. Cairn <cairn@example.com>)' });
  } else if (from !== undefined && !MAILBOX.test(from.trim())) {
    problems.push({ setting: 'CAIRN_MAIL_FROM', message: 'must be an email address or Name <address> (e.g. Cairn <cairn@example.com>)' });
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    problems.push({ setting: 'CAIRN_SMTP_URL', message: 'is not a valid URL (e.g. smtp://user:pass@mail.example.com:587 or smtps://user:pass@mail.example.com:465)' });
    return undefined;
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') {
    problems.push({ setting: 'CAIRN_SMTP_URL', message: 'must start with smtp:// (port 587, STARTTLS when offered) or smtps:// (port 465, TLS)' });
    return undefined;
  }
  if (url.hostname === '' || (url.pathname !== '' && url.pathname !== '/') || url.search || url.hash) {
    problems.push({ setting: 'CAIRN_SMTP_URL', message: 'must be scheme://[user:password@]host[:port], with no path, query or fragment' });
    return undefined;
  }
  let user: string | undefined;
  let password: string | undefined;
  try {
    user = url.username ? decodeURIComponent(url.username) : undefined;
    password = url.password ? decodeURIComponent(url.password) : undefined;
  } catch {
    problems.push({ setting: 'CAIRN_SMTP_URL', message: 'has a user name or password that is not valid percent-encoding' });
    return undefined;
  }
  if (password !== undefined && user === undefined) {
    problems.push({ setting: 'CAIRN_SMTP_URL', message: 'has a password but no user name' });
    return undefined;
  }
  if (from === undefined || !MAILBOX.test(from.trim())) return undefined;
  const secure = url.protocol === 'smtps:';
  return {
    smtp: {
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: url.port ? Number(url.port) : secure ? 465 : 587,
      secure,
      ...(user !== undefined ? { user } : {}),
      ...(password !== undefined ? { password } : {}),
    },
    from: from.trim(),
  };
}

/**
 * better-auth (browser accounts) also reads a few variables of its own from the process environment, and
 * these would quietly change what Cairn configured: they are refused, so every setting stays a CAIRN_ one.
 */
const BETTER_AUTH_ENV: Readonly<Record<string, string>> = {
  BETTER_AUTH_TRUSTED_ORIGINS: 'it would add origins trusted for sign-in and sign-out; use CAIRN_ALLOWED_ORIGINS',
  BETTER_AUTH_SECRETS: 'it would replace the session-signing key Cairn derives from CAIRN_SECRET',
  BETTER_AUTH_TELEMETRY: 'it would send usage data to better-auth; Cairn keeps it off',
};

function checkBetterAuthEnv(env: NodeJS.ProcessEnv, problems: ConfigProblem[]): void {
  for (const [name, why] of Object.entries(BETTER_AUTH_ENV)) {
    if (env[name] !== undefined && env[name] !== '') problems.push({ setting: name, message: `is set, but Cairn configures browser accounts itself (${why}): remove it` });
  }
}

export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\./.test(h);
}

function defaultHosts(url: URL, loopback: boolean): string[] {
  const hosts = new Set([url.hostname]);
  if (loopback) for (const h of ['localhost', '127.0.0.1', '[::1]']) hosts.add(h);
  return [...hosts];
}

function defaultOrigins(url: URL, loopback: boolean): string[] {
  const origins = new Set([url.origin]);
  if (loopback) {
    const port = url.port ? `:${url.port}` : '';
    for (const h of ['localhost', '127.0.0.1', '[::1]']) origins.add(`${url.protocol}//${h}${port}`);
  }
  return [...origins];
}
