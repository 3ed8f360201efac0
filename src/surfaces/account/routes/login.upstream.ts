import { loginPathFor, DEFAULT_RETURN_TO, safeReturnTo } from '../../../accounts/return-to.js';
import { callAuth } from '../auth-bridge.js';
import { pageFailure } from '../failures.js';
import { checkSameOrigin, formValue, redirectAfterPost } from '../forms.js';
import { sendPage } from '../html.js';
import type { AccountApp, AccountDeps } from '../types.js';
import { loginView } from '../views.js';

/**
 * A "Sign in with …" button: better-auth's /sign-in/social starts the authorization-code flow (state and PKCE
 * in its verification table, bound to a cookie) and names the provider URL to go to. The provider sends the
 * person back to /auth/callback/<provider>, which lands on `return_to`, or on the login page with ?error=.
 */
export function loginUpstream(app: AccountApp, { accounts, publicUrl, signup, trustedOrigins }: AccountDeps): void {
  app.post('/login/upstream', async (request, reply) => {
    if (!checkSameOrigin(request, reply, trustedOrigins)) return reply;
    const returnTo = safeReturnTo(formValue(request.body, 'return_to'), publicUrl) ?? DEFAULT_RETURN_TO;
    const provider = accounts.upstream.find((p) => p.id === formValue(request.body, 'provider'));
    const view = (error: string) => loginView({ returnTo, error, upstream: accounts.upstream, signupOpen: signup === 'open' });
    if (!provider) return sendPage(reply, view('That sign-in option is not available on this Cairn.'), 400);
    const answer = await callAuth(await accounts.auth(), request, publicUrl, '/sign-in/social', {
      provider: provider.id,
      callbackURL: `${publicUrl}${returnTo}`,
      newUserCallbackURL: `${publicUrl}${returnTo}`,
      errorCallbackURL: `${publicUrl}${loginPathFor(returnTo, publicUrl)}`,
    });
    const url = answer.body?.url;
    if (answer.status === 200 && typeof url === 'string' && /^https?:\/\//.test(url)) return redirectAfterPost(reply, url, answer.setCookies);
    const failure = pageFailure(answer, 'upstream');
    if (failure.status >= 500) request.log.error({ status: answer.status, provider: provider.id }, 'starting an upstream sign-in failed');
    return sendPage(reply, view(failure.status >= 500 ? `${provider.name} cannot be reached right now. Try again in a moment.` : failure.message), failure.status, failure.headers);
  });
}
