import { DEFAULT_RETURN_TO, safeReturnTo } from '../../../accounts/return-to.js';
import { redirectAfterPost } from '../forms.js';
import { sendPage } from '../html.js';
import type { AccountApp, AccountDeps } from '../types.js';
import { messageView, signupView, upstreamSignupView } from '../views.js';

/** The sign-up page: a form when CAIRN_SIGNUP=open, the upstream buttons when it is upstream, else closed. */
export function signupGet(app: AccountApp, { accounts, publicUrl, signup }: Pick<AccountDeps, 'accounts' | 'publicUrl' | 'signup'>): void {
  app.get<{ Querystring: Record<string, unknown> }>('/signup', async (request, reply) => {
    const returnTo = safeReturnTo(request.query.return_to, publicUrl) ?? DEFAULT_RETURN_TO;
    if (request.browserSession) return redirectAfterPost(reply, returnTo);
    if (signup === 'open') return sendPage(reply, signupView({ returnTo }));
    if (signup === 'upstream') return sendPage(reply, upstreamSignupView(accounts.upstream, returnTo));
    return sendPage(reply, messageView('Sign-up is closed', 'Accounts on this Cairn are created by an administrator. Ask one for an account.'), 403);
  });
}
