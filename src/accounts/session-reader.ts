import type { IncomingHttpHeaders } from 'node:http';
import type { SessionReader, SessionUser } from '../auth/sessions/ports.js';
import type { UserService } from '../core/users/user-service.js';
import { AppError, isAppError } from '../errors/app-error.js';
import type { CairnAuth } from './auth.js';
import { loginPathFor } from './return-to.js';

/**
 * The browser session behind a request, read through better-auth (`auth.api.getSession`, which checks the
 * signed cookie and the session row) and then the Cairn user (admin flag, disabled). A disabled user's
 * sessions are deleted on sight, so they stop working on better-auth's own endpoints too. A store that
 * cannot be reached is AppError UNAVAILABLE (503), never "no session" and never access.
 */
export class BetterAuthSessionReader implements SessionReader {
  constructor(
    private readonly auth: () => Promise<CairnAuth>,
    private readonly users: UserService,
    private readonly publicUrl: string,
  ) {}

  async fromHeaders(headers: IncomingHttpHeaders): Promise<SessionUser | null> {
    // No cookie, no session: the common case for API clients costs nothing.
    if (!headers.cookie) return null;
    try {
      const auth = await this.auth();
      // disableRefresh: the sliding refresh sets a cookie, which a caller of this port cannot forward.
      const found = await auth.api.getSession({ headers: toWebHeaders(headers), query: { disableRefresh: true } });
      if (!found) return null;
      const user = await this.users.byId(found.user.id);
      if (!user || user.disabledAt !== null) {
        const ctx = await auth.$context;
        await ctx.internalAdapter.deleteUserSessions(found.user.id);
        return null;
      }
      return { userId: user.id, email: user.email, name: user.name, isAdmin: user.isAdmin, sessionId: found.session.id };
    } catch (err) {
      throw unavailable(err);
    }
  }

  loginPath(returnTo: string): string {
    return loginPathFor(returnTo, this.publicUrl);
  }
}

/** Node's header object as a web `Headers` (repeated headers joined as HTTP allows). */
export function toWebHeaders(headers: IncomingHttpHeaders): Headers {
  const out = new Headers();
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) out.append(name, v);
  }
  return out;
}

/**
 * Reading a session can only fail because the store did (better-auth answers "no session" as null, and
 * wraps a driver error in a 500 with the cause attached): fail closed as 503.
 */
function unavailable(err: unknown): AppError {
  if (isAppError(err) && err.code === 'UNAVAILABLE') return err;
  return new AppError('UNAVAILABLE', 'The session store cannot be reached.', undefined, { cause: err });
}
