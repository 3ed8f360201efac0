import type { AuthAnswer } from './auth-bridge.js';
import { ACCOUNT_ERRORS } from '../../accounts/policy.js';

/** How a failed better-auth call is shown on a page: status, message, extra headers. */
export interface PageFailure {
  readonly status: number;
  readonly message: string;
  readonly headers: Record<string, string>;
}

/**
 * better-auth's error answer as page text. Wrong credentials get one generic sentence whatever was wrong
 * (unknown email, no password set, wrong password); store failures become 503 with Retry-After.
 */
export function pageFailure(answer: AuthAnswer, action: 'sign-in' | 'sign-up' | 'upstream'): PageFailure {
  const code = typeof answer.body?.code === 'string' ? answer.body.code : '';
  if (answer.status === 429) {
    const wait = answer.retryAfter ?? '60';
    return { status: 429, message: `Too many attempts. Try again in ${wait} seconds.`, headers: { 'retry-after': wait } };
  }
  if (answer.status >= 500) {
    return { status: 503, message: 'Cairn cannot do this right now. Try again in a moment.', headers: { 'retry-after': '5' } };
  }
  if (answer.status === 401 && action === 'sign-in') return { status: 401, message: 'The email or password is not correct.', headers: {} };
  if (code === ACCOUNT_ERRORS.disabled) return { status: 403, message: 'This account is disabled. Ask an administrator.', headers: {} };
  if (code === ACCOUNT_ERRORS.signupClosed || code === 'EMAIL_PASSWORD_SIGN_UP_DISABLED') {
    return { status: 403, message: 'Sign-up is closed on this Cairn. Ask an administrator for an account.', headers: {} };
  }
  if (code === ACCOUNT_ERRORS.exists || code === 'USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL' || code === 'USER_ALREADY_EXISTS') {
    return { status: 409, message: 'An account with this email already exists. Sign in instead.', headers: {} };
  }
  if (code === 'INVALID_ORIGIN' || code === 'MISSING_OR_NULL_ORIGIN' || code === 'CROSS_SITE_NAVIGATION_LOGIN_BLOCKED') {
    return { status: 403, message: 'This form was not sent from a Cairn page, so it was refused.', headers: {} };
  }
  const message = typeof answer.body?.message === 'string' && answer.body.message ? answer.body.message : 'The request was refused.';
  return { status: answer.status >= 400 ? answer.status : 400, message, headers: {} };
}

/**
 * The `?error=` codes an upstream sign-in comes back with (better-auth's and Cairn's hooks'), as sentences.
 * `error_description` is never shown: anyone can put text in a link to this page.
 */
export function upstreamErrorMessage(code: string): string {
  switch (code) {
    case 'account_not_linked':
    case 'unable_to_link_account':
    case 'email_does_not_match':
    case 'account_already_linked_to_different_user':
    case ACCOUNT_ERRORS.exists:
      return 'A Cairn account with this email address already exists, and it could not be linked to that login (the provider did not confirm the address, or the account was created without a confirmed one). Sign in with your password instead, or ask an administrator for a setup link.';
    case ACCOUNT_ERRORS.signupClosed:
    case 'signup_disabled':
      return 'There is no Cairn account for that login, and sign-up is closed. Ask an administrator to create your account.';
    case ACCOUNT_ERRORS.disabled:
      return 'This account is disabled. Ask an administrator.';
    case 'email_not_found':
      return 'The provider did not share an email address, which Cairn needs. Allow access to your email address there, then try again.';
    case 'access_denied':
      return 'The sign-in was cancelled at the provider.';
    case 'state_not_found':
    case 'state_mismatch':
    case 'invalid_callback_request':
    case 'please_restart_the_process':
      return 'The sign-in expired or was started in another browser. Start it again.';
    default:
      return 'Signing in through the provider did not work. Try again, or sign in with your password.';
  }
}
