import { sendPage } from '../html.js';
import { SETUP_LOG_SERIALIZERS, setupState } from '../setup-link.js';
import type { AccountApp, AccountDeps } from '../types.js';
import { firstAdminView, setPasswordView } from '../views.js';

/** A one-time setup link: the first-administrator form or the set-password form (the link is not used up yet). */
export function setupGet(app: AccountApp, { accounts, users }: Pick<AccountDeps, 'accounts' | 'users'>): void {
  app.get<{ Params: { token: string } }>('/setup/:token', { logSerializers: SETUP_LOG_SERIALIZERS }, async (request, reply) => {
    const { token } = request.params;
    const state = await setupState(accounts, users, token);
    if (state.kind === 'unusable') return sendPage(reply, state.page, state.status);
    if (state.kind === 'first_admin') return sendPage(reply, firstAdminView({ token }));
    return sendPage(reply, setPasswordView({ token, email: state.user.email }));
  });
}
