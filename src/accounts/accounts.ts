import type { Logger } from 'pino';
import type { SessionReader } from '../auth/sessions/ports.js';
import type { Config } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import type { User } from '../core/users/user.js';
import type { UserService } from '../core/users/user-service.js';
import { AppError } from '../errors/app-error.js';
import type { Storage } from '../storage/db.js';
import { KyselySetupTokenStore } from '../storage/setup-tokens-repo.js';
import { AttemptLimiter } from './attempt-limiter.js';
import type { CairnAuth } from './auth.js';
import { ACCOUNT_LIMITS, CLIENT_IP_HEADER, GITHUB_PROVIDER_ID, OIDC_PROVIDER_ID, PASSWORD_LENGTH } from './policy.js';
import { asExistingUser } from './provisioning.js';
import { BetterAuthSessionReader } from './session-reader.js';
import { SetupTokens, setupUrl } from './setup-tokens.js';

export interface AccountsDeps {
  readonly config: Config & { secret: string };
  readonly storage: Storage;
  readonly users: UserService;
  readonly clock: Clock;
  readonly log: Logger;
}

/** An upstream login offered on the login page. */
export interface UpstreamProvider {
  readonly id: string;
  readonly name: string;
}

/**
 * Browser accounts: the better-auth instance (loaded on first use, so one-shot CLI commands never pay for
 * it), the session reader other surfaces use, one-time setup links, and the few operations Cairn performs
 * on accounts itself (first administrator, set a password from a link).
 */
export class Accounts {
  readonly sessions: SessionReader;
  readonly setupLinks: SetupTokens;
  readonly upstream: readonly UpstreamProvider[];
  private instance: Promise<CairnAuth> | undefined;
  private readonly attempts = new AttemptLimiter(ACCOUNT_LIMITS);

  constructor(private readonly deps: AccountsDeps) {
    this.sessions = new BetterAuthSessionReader(() => this.auth(), deps.users, deps.config.http.publicUrl);
    this.setupLinks = new SetupTokens(new KyselySetupTokenStore(deps.storage.db), deps.clock);
    const { oidc, github } = deps.config.accounts;
    this.upstream = [...(oidc ? [{ id: OIDC_PROVIDER_ID, name: oidc.name }] : []), ...(github ? [{ id: GITHUB_PROVIDER_ID, name: 'GitHub' }] : [])];
  }

  /** The better-auth instance, initialised once (this fetches the OpenID Connect discovery document). */
  auth(): Promise<CairnAuth> {
    this.instance ??= (async () => {
      const { createAuth } = await import('./auth.js');
      const auth = createAuth({ ...this.deps, attempts: this.attempts });
      await auth.$context;
      return auth;
    })().catch((err: unknown) => {
      this.instance = undefined;
      throw err;
    });
    return this.instance;
  }

  /** True when an enabled administrator exists. */
  async hasAdmin(): Promise<boolean> {
    return (await this.deps.users.list()).some((u) => u.isAdmin && u.disabledAt === null);
  }

  /**
   * The first-run setup link, when no administrator exists yet (undefined otherwise). Each call replaces the
   * previous link, so only the one printed last works.
   */
  async firstAdminLink(): Promise<string | undefined> {
    if (await this.hasAdmin()) return undefined;
    const { token } = await this.setupLinks.issue({ purpose: 'first_admin' });
    return setupUrl(this.deps.config.http.publicUrl, token);
  }

  /** A one-time link with which `user` sets a password (and so gets a browser account). */
  async setPasswordLink(user: User): Promise<{ url: string; expiresAt: number }> {
    const { token, expiresAt } = await this.setupLinks.issue({ purpose: 'set_password', userId: user.id });
    return { url: setupUrl(this.deps.config.http.publicUrl, token), expiresAt };
  }

  /** Creates the first administrator with a password. CONFLICT once an administrator exists. */
  async createFirstAdmin(input: { email: string; name: string | null; password: string }): Promise<User> {
    checkPassword(input.password);
    if (await this.hasAdmin()) throw new AppError('CONFLICT', 'An administrator already exists: sign in instead.');
    const { user } = await this.deps.users.create({ email: input.email, name: input.name, isAdmin: true, via: 'setup' });
    await this.setPassword(user, input.password);
    return user;
  }

  /**
   * Sets `user`'s password, creating their browser account first if they have none (a user created by
   * `cairn user create`), and ends every session they had: a setup link is also how a lost password is reset.
   */
  async setPassword(user: User, password: string): Promise<void> {
    checkPassword(password);
    if (user.disabledAt !== null) throw new AppError('CONFLICT', 'This account is disabled.');
    const ctx = await (await this.auth()).$context;
    if (!(await ctx.internalAdapter.findUserById(user.id))) {
      // Created by an administrator, who vouches for the address: upstream logins with it may link.
      await asExistingUser(user.id, () => ctx.internalAdapter.createUser({ email: user.email, name: user.name ?? '', emailVerified: true }, { method: 'admin' }));
    }
    const hash = await ctx.password.hash(password);
    if (await ctx.internalAdapter.findCredentialAccount(user.id)) await ctx.internalAdapter.updatePassword(user.id, hash);
    else await ctx.internalAdapter.linkAccount({ userId: user.id, providerId: 'credential', accountId: user.id, password: hash });
    await ctx.internalAdapter.deleteUserSessions(user.id);
  }

  /**
   * The live browser sessions of `userId`, newest activity first. Read through better-auth's adapter (so
   * the stored time format of either dialect is its concern); the session tokens never leave this method.
   */
  async sessionsOf(userId: string): Promise<BrowserSession[]> {
    const ctx = await (await this.auth()).$context;
    const now = this.deps.clock.now();
    const rows = await ctx.internalAdapter.listSessions(userId);
    return rows
      .map((r) => ({
        id: r.id,
        userAgent: r.userAgent ?? null,
        ipAddress: r.ipAddress ?? null,
        createdAt: new Date(r.createdAt).getTime(),
        lastActiveAt: new Date(r.updatedAt).getTime(),
        expiresAt: new Date(r.expiresAt).getTime(),
      }))
      .filter((r) => r.expiresAt > now)
      .sort((a, b) => b.lastActiveAt - a.lastActiveAt || (a.id < b.id ? 1 : -1));
  }

  /** Ends the sessions of `userId` whose ids `pick` selects; returns the ids ended. Another user's session is never touched. */
  async endSessions(userId: string, pick: (sessionId: string) => boolean): Promise<string[]> {
    const ctx = await (await this.auth()).$context;
    const ended: string[] = [];
    for (const row of await ctx.internalAdapter.listSessions(userId)) {
      if (!pick(row.id)) continue;
      await ctx.internalAdapter.deleteSession(row.token);
      ended.push(row.id);
    }
    return ended;
  }

  /** Ends every session of `userId` (a disabled user, a reset password). */
  async endAllSessions(userId: string): Promise<void> {
    const ctx = await (await this.auth()).$context;
    await ctx.internalAdapter.deleteUserSessions(userId);
  }

  /** Signs in with email and password as the pages do and returns the Set-Cookie values of the new session. */
  async signIn(email: string, password: string, clientIp: string): Promise<string[]> {
    const auth = await this.auth();
    const { headers } = await auth.api.signInEmail({ body: { email, password }, headers: new Headers({ [CLIENT_IP_HEADER]: clientIp }), returnHeaders: true });
    return headers.getSetCookie();
  }
}

/** A browser session as the dashboard shows it: never its token. Times in ms. */
export interface BrowserSession {
  readonly id: string;
  readonly userAgent: string | null;
  readonly ipAddress: string | null;
  readonly createdAt: number;
  readonly lastActiveAt: number;
  readonly expiresAt: number;
}

function checkPassword(password: string): void {
  if (password.length < PASSWORD_LENGTH.min) throw new AppError('INVALID_INPUT', `The password must be at least ${PASSWORD_LENGTH.min} characters long.`, { field: 'password' });
  if (password.length > PASSWORD_LENGTH.max) throw new AppError('INVALID_INPUT', `The password must be at most ${PASSWORD_LENGTH.max} characters long.`, { field: 'password' });
}
