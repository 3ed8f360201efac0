import { proxyToAuth, sendWebResponse } from '../auth-bridge.js';
import type { AccountApp, AccountDeps } from '../types.js';

/**
 * better-auth's own endpoints under /auth (sign-in, sign-up, sign-out, session, upstream callbacks), passed
 * through unchanged: the request becomes a web Request and the answer, Set-Cookie headers included, comes
 * back as it is. Origin checks, rate limits and the hooks all run inside better-auth.
 */
export function authPassThrough(app: AccountApp, { accounts, publicUrl }: Pick<AccountDeps, 'accounts' | 'publicUrl'>): void {
  app.route({
    method: ['GET', 'POST'],
    url: '/auth/*',
    handler: async (request, reply) => {
      // A disabled user's session is ended here first, so it stops working on these endpoints too.
      if (request.headers.cookie) await accounts.sessions.fromHeaders(request.headers);
      return sendWebResponse(reply, await proxyToAuth(await accounts.auth(), request, publicUrl));
    },
  });
}
