import { betterAuth, type BetterAuthOptions } from 'better-auth';
import { APIError, createAuthMiddleware } from 'better-auth/api';
import { genericOAuth } from 'better-auth/plugins/generic-oauth';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { deriveKey } from '../auth/secrets.js';
import type { Config } from '../config/schema.js';
import { isAppError } from '../errors/app-error.js';
import { newId, type IdPrefix } from '../core/ids.js';
import { normaliseEmail, type UserCreator, type UserService } from '../core/users/user-service.js';
import type { Storage } from '../storage/db.js';
import type { AttemptLimiter } from './attempt-limiter.js';
import { ACCOUNT_ERRORS, CLIENT_IP_HEADER, IP_LIMITS, OIDC_PROVIDER_ID, PASSWORD_LENGTH, SESSION_SECONDS } from './policy.js';
import { existingUserBeingProvisioned } from './provisioning.js';

export interface AuthDeps {
  readonly config: Config & { secret: string };
  readonly storage: Storage;
  readonly users: UserService;
  /** Per-account (email) limit on sign-in and sign-up attempts. */
  readonly attempts: AttemptLimiter;
  readonly log: Logger;
}

/**
 * better-auth, configured for Cairn: its four tables under Cairn's names on Cairn's own Kysely instance,
 * ids shared with Cairn users, session cookies `cairn.session_token` (HttpOnly, Secure, SameSite=Lax),
 * origin checks against the public URL, per-IP and per-account attempt limits, and the upstream logins
 * configured in the environment. The hooks make every new better-auth user a Cairn user (personal
 * workspace and owner membership included) and keep disabled users from getting a session.
 */
export function createAuth(deps: AuthDeps) {
  return betterAuth(authOptions(deps));
}

export type CairnAuth = ReturnType<typeof createAuth>;

function authOptions({ config, storage, users, attempts, log }: AuthDeps) {
  const { publicUrl } = config.http;
  const { accounts } = config;
  const https = publicUrl.startsWith('https:');
  return {
    appName: 'Cairn',
    baseURL: publicUrl,
    basePath: '/auth',
    // Its own key, derived from the server secret: rotating CAIRN_SECRET ends every browser session.
    secret: deriveKey(config.secret, 'better-auth/v1').toString('base64url'),
    database: { db: storage.db as unknown as Kysely<never>, type: storage.dialect.name },
    trustedOrigins: [...new Set([publicUrl, ...config.http.allowedOrigins])],
    telemetry: { enabled: false },
    logger: {
      level: 'debug',
      log: (level, message, ...args) => {
        const err = args.find((a): a is Error => a instanceof Error);
        const fields = { component: 'better-auth', ...(err ? { err } : {}) };
        if (level === 'error') log.error(fields, message);
        else if (level === 'warn') log.warn(fields, message);
        else log.debug(fields, message);
      },
    },
    emailAndPassword: {
      enabled: true,
      disableSignUp: accounts.signup !== 'open',
      minPasswordLength: PASSWORD_LENGTH.min,
      maxPasswordLength: PASSWORD_LENGTH.max,
      autoSignIn: true,
    },
    user: {
      modelName: 'auth_users',
      fields: { emailVerified: 'email_verified', createdAt: 'created_at', updatedAt: 'updated_at' },
    },
    session: {
      modelName: 'auth_sessions',
      fields: { userId: 'user_id', expiresAt: 'expires_at', ipAddress: 'ip_address', userAgent: 'user_agent', createdAt: 'created_at', updatedAt: 'updated_at' },
      expiresIn: SESSION_SECONDS,
      // Every read goes to the database, so disabling a user or revoking a session takes effect at once.
      cookieCache: { enabled: false },
    },
    account: {
      modelName: 'auth_accounts',
      fields: {
        userId: 'user_id',
        providerId: 'provider_id',
        accountId: 'account_id',
        accessToken: 'access_token',
        refreshToken: 'refresh_token',
        idToken: 'id_token',
        accessTokenExpiresAt: 'access_token_expires_at',
        refreshTokenExpiresAt: 'refresh_token_expires_at',
        createdAt: 'created_at',
        updatedAt: 'updated_at',
      },
      // An upstream identity joins an existing account only when the provider says the email is verified
      // and the local address was vouched for (never for a self-registered, unverified one).
      accountLinking: { enabled: true, trustedProviders: [], allowDifferentEmails: false, requireLocalEmailVerified: true, disableImplicitLinking: false },
    },
    verification: {
      modelName: 'auth_verifications',
      fields: { expiresAt: 'expires_at', createdAt: 'created_at', updatedAt: 'updated_at' },
    },
    socialProviders: accounts.github ? { github: { clientId: accounts.github.clientId, clientSecret: accounts.github.clientSecret } } : {},
    plugins: accounts.oidc
      ? [
          genericOAuth({
            config: [
              {
                providerId: OIDC_PROVIDER_ID,
                name: accounts.oidc.name,
                discoveryUrl: `${accounts.oidc.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`,
                clientId: accounts.oidc.clientId,
                ...(accounts.oidc.clientSecret !== undefined ? { clientSecret: accounts.oidc.clientSecret } : { tokenEndpointAuth: { method: 'none' as const } }),
                scopes: ['openid', 'email', 'profile'],
                pkce: true,
                // ID tokens are checked against the provider's published keys, never just decoded.
                requireIdTokenVerification: true,
              },
            ],
          }),
        ]
      : [],
    rateLimit: {
      enabled: true,
      storage: 'memory',
      window: 60,
      max: 300,
      customRules: { '/sign-in/*': IP_LIMITS.signIn, '/sign-up/*': IP_LIMITS.signUp },
    },
    // Only what the account pages use. Profile and email changes, deletion and password-reset mails need
    // Cairn-side work (the users row, memories) that does not exist yet; upstream tokens stay server-side.
    disabledPaths: [
      '/update-user',
      '/change-email',
      '/delete-user',
      '/delete-user/callback',
      '/request-password-reset',
      '/reset-password',
      '/reset-password/:token',
      '/send-verification-email',
      '/verify-email',
      '/verify-password',
      '/update-session',
      '/link-social',
      '/unlink-account',
      '/refresh-token',
      '/get-access-token',
      '/account-info',
    ],
    onAPIError: {
      // Failed upstream sign-ins come back to the login page with ?error=<code>.
      errorURL: `${publicUrl}/login`,
      // Errors that are not better-auth's own answers (a database that cannot be reached) leave the handler,
      // so Cairn's error handling answers them (503 with Retry-After, logged with the request id).
      throw: true,
    },
    advanced: {
      cookiePrefix: 'cairn',
      // __Secure- prefix only over https; the Secure attribute always (browsers accept it on http://localhost).
      useSecureCookies: https,
      defaultCookieAttributes: { secure: true, httpOnly: true, sameSite: 'lax', path: '/' },
      // Explicit: better-auth turns both checks off by itself when NODE_ENV is test.
      disableOriginCheck: false,
      disableCSRFCheck: false,
      ipAddress: { ipAddressHeaders: [CLIENT_IP_HEADER] },
      database: { generateId: ({ model }: { model: string }) => newId(ID_PREFIXES[model] ?? 'vfy') },
    },
    hooks: {
      before: createAuthMiddleware(async (ctx) => {
        if (ctx.path !== '/sign-in/email' && ctx.path !== '/sign-up/email') return;
        const email = (ctx.body as { email?: unknown } | undefined)?.email;
        if (typeof email !== 'string') return;
        const attempt = attempts.take(`${ctx.path}:${normaliseEmail(email)}`);
        if (!attempt.allowed) {
          throw new APIError(
            'TOO_MANY_REQUESTS',
            { code: ACCOUNT_ERRORS.tooManyAttempts, message: 'Too many attempts for this account. Try again later.' },
            { 'Retry-After': String(attempt.retryAfterSeconds) },
          );
        }
      }),
    },
    databaseHooks: {
      user: {
        create: {
          before: async (user, ctx) => {
            const adopted = existingUserBeingProvisioned();
            if (adopted) return { data: { ...user, id: adopted } };
            const via: UserCreator | undefined = ctx?.path === '/sign-up/email' ? 'signup' : ctx?.path?.startsWith('/callback/') ? 'upstream' : undefined;
            // Nothing else creates better-auth users; refuse anything unexpected rather than guess.
            if (!via) throw new APIError('FORBIDDEN', { code: ACCOUNT_ERRORS.signupClosed, message: 'Accounts are created by an administrator.' });
            const existing = await users.byEmail(user.email).catch((err: unknown) => {
              if (isAppError(err) && err.code === 'NOT_FOUND') return undefined;
              throw err;
            });
            if (existing) {
              // A user an administrator created (no browser account yet) may take over their account by
              // signing in upstream with that address verified there; nobody can claim it by signing up.
              if (via === 'upstream' && user.emailVerified === true && existing.disabledAt === null) return { data: { ...user, id: existing.id, emailVerified: true } };
              throw new APIError('UNPROCESSABLE_ENTITY', {
                code: ACCOUNT_ERRORS.exists,
                message: 'An account with this email already exists. Sign in with your password or a setup link from an administrator.',
              });
            }
            if (accounts.signup === 'closed' || (accounts.signup === 'upstream' && via !== 'upstream')) {
              throw new APIError('FORBIDDEN', { code: ACCOUNT_ERRORS.signupClosed, message: 'Sign-up is closed on this Cairn: ask an administrator for an account.' });
            }
            const created = await users.create({ email: user.email, name: user.name || null, isAdmin: false, via }).catch((err: unknown) => {
              // The same email created a moment ago by someone else, or an address Cairn does not accept.
              if (isAppError(err) && err.code === 'CONFLICT') throw new APIError('UNPROCESSABLE_ENTITY', { code: ACCOUNT_ERRORS.exists, message: err.message });
              if (isAppError(err) && err.code === 'INVALID_INPUT') throw new APIError('BAD_REQUEST', { code: 'invalid_email', message: err.message });
              throw err;
            });
            return { data: { ...user, id: created.user.id } };
          },
        },
      },
      session: {
        create: {
          before: async (session) => {
            const user = await users.byId(session.userId);
            if (!user || user.disabledAt !== null) {
              throw new APIError('FORBIDDEN', { code: ACCOUNT_ERRORS.disabled, message: 'This account is disabled. Ask an administrator.' });
            }
          },
        },
      },
    },
  } satisfies BetterAuthOptions;
}

const ID_PREFIXES: Record<string, IdPrefix> = { user: 'usr', session: 'ses', account: 'acc', verification: 'vfy' };
