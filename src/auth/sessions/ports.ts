import type { IncomingHttpHeaders } from 'node:http';

/** A person signed in to the browser side of Cairn (login, consent, and later the dashboard). */
export interface SessionUser {
  /** The Cairn user id (users.id); the browser-account record shares it. */
  readonly userId: string;
  readonly email: string;
  readonly name: string | null;
  readonly isAdmin: boolean;
  /** The session's own id, for listing and revoking sessions; never the cookie value. */
  readonly sessionId: string;
}

/**
 * Reads the browser session from a request's cookies. The accounts module (better-auth) implements it;
 * the OAuth interaction pages and the dashboard surface use it and never parse cookies themselves.
 * Returns null for no session, an expired one, or one whose user is disabled; throws AppError
 * UNAVAILABLE when the store cannot be reached (fail closed).
 */
export interface SessionReader {
  fromHeaders(headers: IncomingHttpHeaders): Promise<SessionUser | null>;
  /** Where to send a person who must sign in first; `returnTo` is a same-origin path. */
  loginPath(returnTo: string): string;
}
