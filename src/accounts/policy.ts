/**
 * The fixed rules of browser accounts, kept apart from the better-auth instance (auth.ts) so the pages and
 * the CLI can use them without loading better-auth.
 */

/**
 * The request header that carries the client address (Fastify's `request.ip`, which honours
 * CAIRN_TRUST_PROXY) into better-auth, whose per-IP rate limit reads it. The bridge sets it on every request
 * it forwards and drops any value a client sent.
 */
export const CLIENT_IP_HEADER = 'x-cairn-client-ip';

/** better-auth's id of the configured OpenID Connect provider; its callback is <public URL>/auth/callback/oidc. */
export const OIDC_PROVIDER_ID = 'oidc';
/** GitHub's callback is <public URL>/auth/callback/github. */
export const GITHUB_PROVIDER_ID = 'github';

/** Error codes Cairn's hooks raise; they reach the login page as `?error=<code>` after an upstream sign-in. */
export const ACCOUNT_ERRORS = {
  disabled: 'account_disabled',
  exists: 'account_exists',
  signupClosed: 'signup_disabled',
  tooManyAttempts: 'too_many_attempts',
} as const;

export const PASSWORD_LENGTH = { min: 10, max: 256 } as const;

/** Sign-in and sign-up attempts per client address in a window of seconds (better-auth's limiter). */
export const IP_LIMITS = { signIn: { window: 60, max: 20 }, signUp: { window: 60, max: 10 } } as const;

/** Sign-in and sign-up attempts per email address, counted before the password is checked. */
export const ACCOUNT_LIMITS = { max: 10, windowMs: 15 * 60 * 1000 } as const;

/** How long a browser session lasts after signing in. */
export const SESSION_SECONDS = 7 * 24 * 3600;
