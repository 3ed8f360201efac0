import { DEFAULT_RETURN_TO, safeReturnTo } from '../../../accounts/return-to.js';
import { callAuth } from '../auth-bridge.js';
import { pageFailure } from '../failures.js';
import { checkSameOrigin, formValue, redirectAfterPost } from '../forms.js';
import { sendPage } from '../html.js';
import type { AccountApp, AccountDeps } from '../types.js';
import { loginView } from '../views.js';

/** Email and password sign-in from the login form: better-auth's /sign-in/email, answered as a page. */
export function loginPost(app: AccountApp, { accounts, publicUrl, signup, trustedOrigins }: AccountDeps): void {
  app.post('/login', async (request, reply) => {
    if (!checkSameOrigin(request, reply, trustedOrigins)) return reply;
    const email = formValue(request.body, 'email').trim();
    const password = formValue(request.body, 'password');
    const returnTo = safeReturnTo(formValue(request.body, 'return_to'), publicUrl) ?? DEFAULT_RETURN_TO;
    const view = (error: string) => loginView({ returnTo, email, error, upstream: accounts.upstream, signupOpen: signup === 'open' });
    if (!email || !password) return sendPage(reply, view('Enter your email and password.'), 400);
    const answer = await callAuth(await accounts.auth(), request, publicUrl, '/sign-in/email', { email, password, rememberMe: true });
    if (answer.status === 200) return redirectAfterPost(reply, returnTo, answer.setCookies);
    const failure = pageFailure(answer, 'sign-in');
    if (failure.status >= 500) request.log.error({ status: answer.status }, 'sign-in failed');
    return sendPage(reply, view(failure.message), failure.status, failure.headers);
  });
}
