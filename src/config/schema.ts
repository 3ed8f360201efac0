import { z } from 'zod';

/**
 * Every setting Cairn reads, in one table. `loadConfig` validates against it, `cairn doctor` prints it,
 * and the README's configuration table is written from it (`npm run docs:config` checks they agree).
 * A setting is read from the environment or from the optional JSON config file; the environment wins.
 */
export interface SettingSpec {
  readonly description: string;
  /** Shown in docs; `undefined` = no default (optional or required as `required` says). */
  readonly default?: string;
  readonly secret?: boolean;
  readonly schema: z.ZodType<unknown>;
}

const bool = z
  .union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no'])])
  .transform((v) => v === true || v === 'true' || v === '1' || v === 'yes');

const int = (min: number, max: number) =>
  z
    .union([z.number(), z.string().regex(/^\s*-?\d+\s*$/, 'must be a whole number')])
    .transform((v) => Number(v))
    .pipe(z.number().int('must be a whole number').min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

const sizeOf = (maxBytes: number, maxText: string) =>
  z
    .union([z.number(), z.string()])
    .transform((v, ctx) => {
      const m = /^\s*(\d+)\s*(b|kb|kib|mb|mib|gb|gib)?\s*$/i.exec(String(v));
      if (!m) {
        ctx.addIssue({ code: 'custom', message: 'must be a size such as 1048576, 512kb or 4mb' });
        return z.NEVER;
      }
      const unit = (m[2] ?? 'b').toLowerCase();
      const mult = unit.startsWith('k') ? 1024 : unit.startsWith('m') ? 1024 * 1024 : unit.startsWith('g') ? 1024 * 1024 * 1024 : 1;
      return Number(m[1]) * mult;
    })
    .pipe(z.number().int().min(1024, 'must be at least 1kb').max(maxBytes, `must be at most ${maxText}`));

const byteSize = sizeOf(64 * 1024 * 1024, '64mb');

const list = z
  .union([z.array(z.string()), z.string()])
  .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter(Boolean));

export const SETTINGS = {
  CAIRN_CONFIG_FILE: {
    description: 'Path of an optional JSON file whose keys are these same CAIRN_* names. Environment variables win over it.',
    schema: z.string().min(1),
  },
  CAIRN_HOST: {
    description: 'Interface to listen on. Keep 127.0.0.1 unless a reverse proxy or other hosts must reach Cairn.',
    default: '127.0.0.1',
    schema: z.string().min(1),
  },
  CAIRN_PORT: { description: 'TCP port to listen on.', default: '8787', schema: int(0, 65535) },
  CAIRN_PUBLIC_URL: {
    description: 'The URL clients use to reach Cairn (scheme, host, port; no path). Used in client configs and, later, as the OAuth issuer.',
    default: 'http://127.0.0.1:<CAIRN_PORT>',
    schema: z.string().url('must be an absolute http(s) URL'),
  },
  CAIRN_ALLOWED_HOSTS: {
    description: 'Comma-separated Host header values accepted on /mcp (DNS-rebinding protection). Hostnames, optionally with :port.',
    default: 'the public URL host; plus localhost, 127.0.0.1 and [::1] when that host is loopback',
    schema: list,
  },
  CAIRN_ALLOWED_ORIGINS: {
    description: 'Comma-separated browser Origins accepted on /mcp. Requests without an Origin header (non-browser clients) always pass.',
    default: 'the public URL origin (and its loopback aliases)',
    schema: list,
  },
  CAIRN_DATA_DIR: {
    description: 'Directory for the embedded database and the generated server secret.',
    default: './data',
    schema: z.string().min(1),
  },
  CAIRN_DATABASE_URL: {
    description: 'sqlite:<path> (embedded default) or postgres://user:pass@host:port/db.',
    default: 'sqlite:<CAIRN_DATA_DIR>/cairn.db',
    secret: true,
    schema: z.string().min(1),
  },
  CAIRN_DATABASE_POOL_SIZE: { description: 'PostgreSQL connection pool size per instance.', default: '10', schema: int(1, 200) },
  CAIRN_MIGRATE_ON_START: {
    description: 'Apply pending database migrations at start-up (under an advisory lock on PostgreSQL).',
    default: 'true',
    schema: bool,
  },
  CAIRN_SECRET: {
    description: 'Server secret (at least 32 characters): API-key pepper and signing key material. Generated into the data dir on first start with SQLite; required with PostgreSQL (every instance must share it).',
    secret: true,
    schema: z.string().min(32, 'must be at least 32 characters (try: openssl rand -base64 48)'),
  },
  CAIRN_LOG_LEVEL: {
    description: 'fatal, error, warn, info, debug, trace or silent.',
    default: 'info',
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  },
  CAIRN_BODY_LIMIT: {
    description: 'Largest accepted request body (bytes, or with kb/mb). Larger bodies get 413.',
    default: '1mb',
    schema: byteSize,
  },
  CAIRN_IMPORT_MAX_BYTES: {
    description: 'Largest import accepted by POST /api/v1/import and `cairn import` (bytes, or with kb/mb/gb). Larger uploads get 413 as soon as the limit is passed.',
    default: '256mb',
    schema: sizeOf(4 * 1024 * 1024 * 1024, '4gb'),
  },
  CAIRN_TRUST_PROXY: {
    description: 'Trust X-Forwarded-* headers from a reverse proxy (for client IPs in logs).',
    default: 'false',
    schema: bool,
  },
  CAIRN_AUTH_CACHE_TTL_SECONDS: {
    description:
      'How long a verified API key stays in the in-memory cache, and how often a cached OAuth access token\'s grant and user, and an app\'s access (paused, read only), are checked again. Revocation on this instance is immediate; other instances see it within this time.',
    default: '30',
    schema: int(0, 3600),
  },
  CAIRN_AUTH_CACHE_MAX_ENTRIES: { description: 'Most API keys, and most OAuth access tokens, kept in the verification caches.', default: '10000', schema: int(1, 1_000_000) },
  CAIRN_FLUSH_INTERVAL_MS: {
    description: 'How often key usage counters and read-access audit entries are written to the database in one batch.',
    default: '5000',
    schema: int(100, 600_000),
  },
  CAIRN_DELETED_RETENTION_DAYS: {
    description:
      'How many days a deleted memory can be restored. After that it answers 404 like a memory that never existed, and the hourly retention sweep (or cairn retention run) erases it for good with its history and vectors. At least 1; there is no keep-forever setting for deleted memories.',
    default: '30',
    schema: int(1, 36_500),
  },
  CAIRN_AUDIT_RETENTION_DAYS: {
    description: 'How many days audit events are kept; the retention sweep deletes older ones. 0 keeps them forever.',
    default: '365',
    schema: int(0, 36_500),
  },
  CAIRN_SHUTDOWN_TIMEOUT_MS: {
    description: 'On SIGTERM/SIGINT, how long in-flight requests may take before the process exits anyway.',
    default: '10000',
    schema: int(0, 600_000),
  },
  CAIRN_EMBEDDER: {
    description:
      'Embedding provider for semantic search: none (lexical-only), openai (any OpenAI-compatible /v1/embeddings server: OpenAI, Ollama, vLLM, LM Studio) or local (an ONNX sentence-embedding model run in-process; needs the optional package @huggingface/transformers).',
    default: 'none',
    schema: z.enum(['none', 'openai', 'local']),
  },
  CAIRN_EMBEDDER_URL: {
    description: 'openai: base URL of the API, up to but not including /embeddings (https://api.openai.com/v1; Ollama: http://127.0.0.1:11434/v1).',
    schema: z.string().url('must be an absolute http(s) URL'),
  },
  CAIRN_EMBEDDER_MODEL: {
    description:
      'Embedding model. openai: the name the server knows (text-embedding-3-small, nomic-embed-text). local: a Hugging Face model id (Xenova/all-MiniLM-L6-v2) looked up under CAIRN_EMBEDDER_MODEL_DIR, or the path of a model directory.',
    schema: z.string().min(1),
  },
  CAIRN_EMBEDDER_API_KEY: {
    description: 'openai: API key, sent as a Bearer token (Ollama and LM Studio need none).',
    secret: true,
    schema: z.string().min(1),
  },
  CAIRN_EMBEDDER_DIMENSIONS: {
    description:
      "Vector length the model returns; every vector is checked against it. openai: also sent as the request's dimensions parameter (text-embedding-3 models shorten their vectors to it; leave unset for servers that reject it). Unset: learnt from the provider's first answer.",
    schema: int(1, 65_536),
  },
  CAIRN_EMBEDDER_MODEL_DIR: {
    description: 'local: directory holding models, one folder per model id (config.json, tokenizer.json, onnx/model.onnx).',
    default: '<CAIRN_DATA_DIR>/models',
    schema: z.string().min(1),
  },
  CAIRN_EMBEDDER_ALLOW_DOWNLOAD: {
    description: 'local: download a model missing from CAIRN_EMBEDDER_MODEL_DIR once from the Hugging Face Hub into that directory. Off: Cairn never fetches a model.',
    default: 'false',
    schema: bool,
  },
  CAIRN_SIGNUP: {
    description:
      'Who may create a browser account: closed (only administrators add people, with cairn user create), upstream (anyone who signs in through the configured OpenID Connect or GitHub login) or open (anyone, also with email and password).',
    default: 'closed',
    schema: z.enum(['closed', 'upstream', 'open']),
  },
  CAIRN_OIDC_ISSUER: {
    description:
      'Sign-in through an OpenID Connect provider (Keycloak, Authentik, Okta, Google, Entra ID…): its issuer URL; the discovery document is read from <issuer>/.well-known/openid-configuration. Register <CAIRN_PUBLIC_URL>/auth/callback/oidc as the redirect URI there.',
    schema: z.string().url('must be an absolute http(s) URL'),
  },
  CAIRN_OIDC_CLIENT_ID: { description: 'The client id Cairn has at the OpenID Connect provider.', schema: z.string().min(1) },
  CAIRN_OIDC_CLIENT_SECRET: {
    description: 'The client secret Cairn has at the OpenID Connect provider (leave unset for a public client).',
    secret: true,
    schema: z.string().min(1),
  },
  CAIRN_OIDC_NAME: {
    description: 'The provider name on the login button ("Sign in with …").',
    default: 'the issuer host name',
    schema: z.string().min(1).max(60),
  },
  CAIRN_GITHUB_CLIENT_ID: {
    description: 'Sign-in with GitHub: the client id of a GitHub OAuth app whose callback URL is <CAIRN_PUBLIC_URL>/auth/callback/github.',
    schema: z.string().min(1),
  },
  CAIRN_GITHUB_CLIENT_SECRET: { description: 'The client secret of that GitHub OAuth app.', secret: true, schema: z.string().min(1) },
  CAIRN_SMTP_URL: {
    description:
      'Mail server for sending invitation links (smtp://user:pass@mail.example.com:587 with STARTTLS when offered, or smtps://user:pass@mail.example.com:465 for TLS from the start; percent-encode special characters in the password). Unset: Cairn sends no mail and the inviter passes the link on.',
    secret: true,
    schema: z.string().min(1),
  },
  CAIRN_MAIL_FROM: {
    description: 'Sender of the mail Cairn sends, an address or Name <address> (required with CAIRN_SMTP_URL).',
    schema: z.string().min(1).max(320),
  },
  CAIRN_OAUTH_ACCESS_TOKEN_TTL_SECONDS: {
    description:
      'Lifetime of the OAuth access tokens Cairn issues. They are verified without a database lookup, so keep them short; clients renew them with their refresh token. Revoking a connection ends its tokens at once regardless.',
    default: '300',
    schema: int(1, 3600),
  },
  CAIRN_OAUTH_CIMD_ALLOW_LOOPBACK: {
    description:
      'For tests only: let Client ID Metadata Documents be fetched from loopback addresses (127.0.0.1, ::1). Off, a client_id URL that resolves to this machine is refused (every other private range always is).',
    default: 'false',
    schema: bool,
  },
} as const satisfies Record<string, SettingSpec>;

export type SettingName = keyof typeof SETTINGS;
export const SETTING_NAMES = Object.keys(SETTINGS) as SettingName[];

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/**
 * Which embedding provider semantic search uses; `none` means lexical-only. Batch size and timeout have no
 * setting of their own: they are sensible for every provider named in the README.
 */
export type EmbedderConfig =
  | { readonly kind: 'none' }
  | {
      readonly kind: 'openai';
      /** Base URL without a trailing slash; requests go to `${url}/embeddings`. */
      readonly url: string;
      readonly model: string;
      readonly apiKey?: string;
      readonly dimensions?: number;
      /** Texts per request. */
      readonly batchSize: number;
      /** Per request; a slower answer counts as the provider being unavailable. */
      readonly timeoutMs: number;
    }
  | {
      readonly kind: 'local';
      /** A Hugging Face model id, resolved under `modelDir`, or an absolute path of a model directory. */
      readonly model: string;
      readonly modelDir: string;
      readonly allowDownload: boolean;
      readonly dimensions?: number;
      /** Texts per forward pass. */
      readonly batchSize: number;
    };

export interface OAuthConfig {
  readonly accessTokenTtlSeconds: number;
  /** Tests only: Client ID Metadata Documents may be served from loopback addresses. */
  readonly cimdAllowLoopback: boolean;
}

/** Who may create a browser account (see CAIRN_SIGNUP). */
export type SignupPolicy = 'closed' | 'upstream' | 'open';

/** Browser accounts: the sign-up policy and the upstream logins offered on the login page. */
export interface AccountsConfig {
  readonly signup: SignupPolicy;
  /** Any OpenID Connect provider, found through discovery from its issuer. */
  readonly oidc?: { readonly issuer: string; readonly clientId: string; readonly clientSecret?: string; readonly name: string };
  readonly github?: { readonly clientId: string; readonly clientSecret: string };
}

/** Outgoing mail (invitation links) through one SMTP server; absent when CAIRN_SMTP_URL is unset. */
export interface MailConfig {
  readonly smtp: {
    readonly host: string;
    readonly port: number;
    /** smtps: TLS from the first byte; smtp: plain, upgraded with STARTTLS when the server offers it. */
    readonly secure: boolean;
    readonly user?: string;
    readonly password?: string;
  };
  /** The From header: an address or `Name <address>`. */
  readonly from: string;
}

export type DatabaseConfig =
  | { readonly dialect: 'sqlite'; readonly path: string }
  | { readonly dialect: 'postgres'; readonly url: string; readonly poolSize: number };

/** The typed, validated configuration. Nothing outside `config/` reads `process.env`. */
export interface Config {
  readonly http: {
    readonly host: string;
    readonly port: number;
    /** Origin only, no trailing slash: `http://127.0.0.1:8787`. */
    readonly publicUrl: string;
    readonly allowedHosts: readonly string[];
    readonly allowedOrigins: readonly string[];
    readonly bodyLimit: number;
    /** CAIRN_IMPORT_MAX_BYTES: the largest import (REST and CLI). */
    readonly importMaxBytes: number;
    readonly trustProxy: boolean;
    readonly shutdownTimeoutMs: number;
  };
  readonly database: DatabaseConfig;
  readonly migrateOnStart: boolean;
  readonly dataDir: string;
  /** Undefined only for SQLite before `ensureSecret` generated or read it from the data dir. */
  readonly secret: string | undefined;
  readonly log: { readonly level: LogLevel };
  readonly auth: { readonly cacheTtlMs: number; readonly cacheMaxEntries: number };
  readonly flushIntervalMs: number;
  /** Days deleted memories stay restorable and audit events are kept (0: forever); purged by the retention sweep. */
  readonly retention: { readonly deletedMemoryDays: number; readonly auditDays: number };
  readonly embedder: EmbedderConfig;
  readonly accounts: AccountsConfig;
  /** The OAuth authorization server (src/oauth). */
  readonly oauth: OAuthConfig;
  /** Outgoing mail; undefined: Cairn sends none. */
  readonly mail: MailConfig | undefined;
  /** Where each setting's value came from, for `cairn doctor`. */
  readonly sources: Readonly<Record<string, 'env' | 'file' | 'default' | 'generated'>>;
}
