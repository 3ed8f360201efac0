import type { FastifyRequest } from 'fastify';
import type { Accounts } from '../../accounts/accounts.js';
import type { User } from '../../core/users/user.js';
import type { UserService } from '../../core/users/user-service.js';
import type { PageParts } from './html.js';
import { messageView } from './views.js';

/** What a setup link can do right now. */
export type SetupState =
  | { readonly kind: 'first_admin' }
  | { readonly kind: 'set_password'; readonly user: User }
  | { readonly kind: 'unusable'; readonly status: number; readonly page: PageParts };

const INVALID: SetupState = {
  kind: 'unusable',
  status: 404,
  page: messageView('Link not valid', 'This setup link is not valid: it was already used, it expired (links work for one hour), or a newer one replaced it. Ask an administrator for a new one.'),
};

/**
 * Looks the link up without using it: a first-administrator link stops being useful once an administrator
 * exists (however that happened), and a set-password link once its user is gone or disabled.
 */
export async function setupState(accounts: Accounts, users: UserService, token: string): Promise<SetupState> {
  const grant = await accounts.setupLinks.peek(token);
  if (!grant) return INVALID;
  if (grant.purpose === 'first_admin') {
    if (await accounts.hasAdmin()) {
      return { kind: 'unusable', status: 410, page: messageView('Already set up', 'This Cairn already has an administrator. Sign in instead.') };
    }
    return { kind: 'first_admin' };
  }
  const user = await users.byId(grant.userId);
  if (!user || user.disabledAt !== null) return INVALID;
  return { kind: 'set_password', user };
}

export const SETUP_USED_UP = INVALID;

/**
 * The request log of a setup page without its token: the link is a password-equivalent until it is used, and
 * logs outlive it and reach more people than the administrator it was printed for.
 */
export const SETUP_LOG_SERIALIZERS = {
  req: (request: FastifyRequest) => ({ method: request.method, url: '/setup/[redacted]', remoteAddress: request.ip }),
};
