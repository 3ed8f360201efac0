import type { FastifyInstance } from 'fastify';
import type { Accounts } from '../../accounts/accounts.js';
import type { SessionUser } from '../../auth/sessions/ports.js';
import type { SignupPolicy } from '../../config/schema.js';
import type { UserService } from '../../core/users/user-service.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the account pages' authenticator (the session cookie); null when nobody is signed in. */
    browserSession?: SessionUser | null;
  }
}

/** What the account surface needs, passed in where app.ts registers it. */
export interface AccountDeps {
  readonly accounts: Accounts;
  readonly users: UserService;
  /** Origin only, no trailing slash. */
  readonly publicUrl: string;
  /** Origins whose form posts are accepted: the public URL and its loopback aliases (CAIRN_ALLOWED_ORIGINS). */
  readonly trustedOrigins: readonly string[];
  readonly signup: SignupPolicy;
}

export type AccountApp = FastifyInstance;
