import { PASSWORD_LENGTH } from '../../../accounts/policy.js';
import { DEFAULT_RETURN_TO, safeReturnTo } from '../../../accounts/return-to.js';
import { callAuth } from '../auth-bridge.js';
import { pageFailure } from '../failures.js';
import { checkSameOrigin, formValue, newAccountErrors, redirectAfterPost } from '../forms.js';
import { sendPage } from '../html.js';
import type { AccountApp, AccountDeps } from '../types.js';
import { messageView, signupView } from '../views.js';

/**
 * Sign-up with email and password (CAIRN_SIGNUP=open only): better-auth's /sign-up/email, whose hook creates
 * the Cairn user, personal workspace and owner membership, and signs the person in.
 */
export function signupPost(app: AccountApp, { accounts, publicUrl, signup, trustedOrigins }: AccountDeps): void {
  app.post('/signup', async (request, reply) => {
    if (!checkSameOrigin(request, reply, trustedOrigins)) return reply;
    if (signup !== 'open') return sendPage(reply, messageView('Sign-up is closed', 'Accounts on this Cairn are created by an administrator. Ask one for an account.'), 403);
    const name = formValue(request.body, 'name').trim();
    const email = formValue(request.body, 'email').trim();
    const password = formValue(request.body, 'password');
    const confirm = formValue(request.body, 'confirm');
    const returnTo = safeReturnTo(formValue(request.body, 'return_to'), publicUrl) ?? DEFAULT_RETURN_TO;
    const errors = newAccountErrors({ name, email, password, confirm }, PASSWORD_LENGTH);
    if (Object.keys(errors).length > 0) return sendPage(reply, signupView({ returnTo, name, email, errors }), 400);
    const answer = await callAuth(await accounts.auth(), request, publicUrl, '/sign-up/email', { name, email, password, rememberMe: true });
    if (answer.status === 200) return redirectAfterPost(reply, returnTo, answer.setCookies);
    const failure = pageFailure(answer, 'sign-up');
    if (failure.status >= 500) request.log.error({ status: answer.status }, 'sign-up failed');
    return sendPage(reply, signupView({ returnTo, name, email, error: failure.message }), failure.status, failure.headers);
  });
}
