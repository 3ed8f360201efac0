import { callAuth } from '../auth-bridge.js';
import { checkSameOrigin, redirectAfterPost } from '../forms.js';
import { sendPage } from '../html.js';
import type { AccountApp, AccountDeps } from '../types.js';
import { messageView } from '../views.js';

/** Signs out: better-auth deletes the session row and clears the cookie; then back to the login page. */
export function logout(app: AccountApp, { accounts, publicUrl, trustedOrigins }: Pick<AccountDeps, 'accounts' | 'publicUrl' | 'trustedOrigins'>): void {
  app.post('/logout', async (request, reply) => {
    if (!checkSameOrigin(request, reply, trustedOrigins)) return reply;
    if (!request.headers.cookie) return redirectAfterPost(reply, '/login');
    const answer = await callAuth(await accounts.auth(), request, publicUrl, '/sign-out', {});
    if (answer.status >= 500) {
      request.log.error({ status: answer.status }, 'sign-out failed');
      return sendPage(reply, messageView('Not signed out', 'Cairn could not end your session right now. Try again in a moment.', { href: '/login', label: 'Back' }), 503, { 'retry-after': '5' });
    }
    return redirectAfterPost(reply, '/login', answer.setCookies);
  });
}
