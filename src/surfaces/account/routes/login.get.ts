import { DEFAULT_RETURN_TO, safeReturnTo } from '../../../accounts/return-to.js';
import { redirectAfterPost } from '../forms.js';
import { upstreamErrorMessage } from '../failures.js';
import { sendPage } from '../html.js';
import type { AccountApp, AccountDeps } from '../types.js';
import { loginView, signedInView } from '../views.js';

/**
 * The login page. `return_to` (a same-origin path, anything else ignored) is where a person goes after
 * signing in; someone already signed in goes there at once. `error` is what an upstream sign-in came back with.
 */
export function loginGet(app: AccountApp, { accounts, publicUrl, signup }: Pick<AccountDeps, 'accounts' | 'publicUrl' | 'signup'>): void {
  app.get<{ Querystring: Record<string, unknown> }>('/login', async (request, reply) => {
    const returnTo = safeReturnTo(request.query.return_to, publicUrl) ?? DEFAULT_RETURN_TO;
    const session = request.browserSession;
    if (session) {
      if (returnTo !== DEFAULT_RETURN_TO) return redirectAfterPost(reply, returnTo);
      return sendPage(reply, signedInView(session));
    }
    const error = typeof request.query.error === 'string' ? upstreamErrorMessage(request.query.error) : undefined;
    return sendPage(reply, loginView({ returnTo, upstream: accounts.upstream, signupOpen: signup === 'open', ...(error ? { error } : {}) }));
  });
}
