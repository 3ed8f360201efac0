import { PASSWORD_LENGTH } from '../../../accounts/policy.js';
import { normaliseEmail } from '../../../core/users/user-service.js';
import { isAppError } from '../../../errors/app-error.js';
import { checkSameOrigin, formValue, newAccountErrors, redirectAfterPost } from '../forms.js';
import { sendPage } from '../html.js';
import { SETUP_LOG_SERIALIZERS, SETUP_USED_UP, setupState } from '../setup-link.js';
import type { AccountApp, AccountDeps } from '../types.js';
import { firstAdminView, setPasswordView } from '../views.js';

/**
 * Submits a setup link's form. Everything is checked first; then the link is used up in one statement (a
 * second submission, even a concurrent one, finds it gone), the account is created or its password set, and
 * the person is signed in.
 */
export function setupPost(app: AccountApp, { accounts, users, trustedOrigins }: AccountDeps): void {
  app.post<{ Params: { token: string } }>('/setup/:token', { logSerializers: SETUP_LOG_SERIALIZERS }, async (request, reply) => {
    if (!checkSameOrigin(request, reply, trustedOrigins)) return reply;
    const { token } = request.params;
    const state = await setupState(accounts, users, token);
    if (state.kind === 'unusable') return sendPage(reply, state.page, state.status);
    const password = formValue(request.body, 'password');
    const confirm = formValue(request.body, 'confirm');

    if (state.kind === 'first_admin') {
      const name = formValue(request.body, 'name').trim();
      const email = formValue(request.body, 'email').trim();
      const errors = newAccountErrors({ name, email, password, confirm }, PASSWORD_LENGTH);
      if (!errors.email && (await emailTaken(users, email))) errors.email = 'A user with this email already exists.';
      if (Object.keys(errors).length > 0) return sendPage(reply, firstAdminView({ token, name, email, errors }), 400);
      if (!(await accounts.setupLinks.consume(token))) return sendPage(reply, SETUP_USED_UP.page, 404);
      const admin = await accounts.createFirstAdmin({ email, name: name || null, password }).catch((err: unknown) => {
        if (isAppError(err) && (err.code === 'CONFLICT' || err.code === 'INVALID_INPUT')) return err;
        throw err;
      });
      if (isAppError(admin)) return sendPage(reply, firstAdminView({ token, name, email, error: admin.message }), admin.code === 'CONFLICT' ? 409 : 400);
      return redirectAfterPost(reply, '/login', await accounts.signIn(normaliseEmail(email), password, request.ip));
    }

    const errors = newAccountErrors({ password, confirm }, PASSWORD_LENGTH);
    if (Object.keys(errors).length > 0) return sendPage(reply, setPasswordView({ token, email: state.user.email, errors }), 400);
    if (!(await accounts.setupLinks.consume(token))) return sendPage(reply, SETUP_USED_UP.page, 404);
    await accounts.setPassword(state.user, password);
    return redirectAfterPost(reply, '/login', await accounts.signIn(state.user.email, password, request.ip));
  });
}

async function emailTaken(users: AccountDeps['users'], email: string): Promise<boolean> {
  return users.byEmail(email).then(
    () => true,
    (err: unknown) => {
      if (isAppError(err) && err.code === 'NOT_FOUND') return false;
      throw err;
    },
  );
}
