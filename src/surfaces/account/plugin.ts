import formbody from '@fastify/formbody';
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { SessionReader } from '../../auth/sessions/ports.js';
import { toHttpError } from '../../errors/to-http.js';
import { sendHttpError } from '../http-errors.js';
import { sendPage } from './html.js';
import { authPassThrough } from './routes/auth.js';
import { loginGet } from './routes/login.get.js';
import { loginPost } from './routes/login.post.js';
import { loginUpstream } from './routes/login.upstream.js';
import { logout } from './routes/logout.js';
import { setupGet } from './routes/setup.get.js';
import { setupPost } from './routes/setup.post.js';
import { signupGet } from './routes/signup.get.js';
import { signupPost } from './routes/signup.post.js';
import type { AccountApp, AccountDeps } from './types.js';
import { messageView } from './views.js';

export type { AccountDeps } from './types.js';

/** Forms and better-auth's JSON bodies are small; anything larger is not a login. */
const BODY_LIMIT = 64 * 1024;

const PAGES: ((app: AccountApp, deps: AccountDeps) => void)[] = [loginGet, loginPost, loginUpstream, logout, signupGet, signupPost, setupGet, setupPost];

/**
 * The browser-account surface: better-auth under /auth/*, and the pages people use (/login, /logout,
 * /signup, /setup/:token). Its authenticator is the session cookie, read once per page request; it touches
 * neither /api nor /mcp, whose credentials stay headers.
 */
export const accountSurface: FastifyPluginAsync<AccountDeps> = async (app, deps) => {
  await app.register(async (bridge) => {
    // better-auth parses its own bodies: hand it the bytes, whatever the content type.
    bridge.removeAllContentTypeParsers();
    bridge.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: BODY_LIMIT }, (_request, body, done) => done(null, body));
    bridge.setErrorHandler(sendHttpError);
    authPassThrough(bridge, deps);
  });

  await app.register(async (pages) => {
    await pages.register(formbody, { bodyLimit: BODY_LIMIT });
    pages.addHook('onRequest', readBrowserSession(deps.accounts.sessions));
    pages.setErrorHandler(sendErrorPage);
    for (const register of PAGES) register(pages, deps);
  });
};

/** The pages' authenticator: who is signed in (or null). A store that cannot be reached is a 503 page. */
function readBrowserSession(sessions: SessionReader) {
  return async function authenticate(request: FastifyRequest): Promise<void> {
    request.browserSession = await sessions.fromHeaders(request.headers);
  };
}

/** Errors on the pages are pages too: the status from the one error table, text only below 500. */
function sendErrorPage(err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const { status, body, log } = toHttpError(err, request.id);
  if (log !== undefined) request.log.error({ err: log }, 'request failed');
  else if (status >= 500) request.log.warn({ code: body.error.code }, 'request unavailable');
  const title = status === 503 ? 'Try again shortly' : status >= 500 ? 'Something went wrong' : 'Request refused';
  return sendPage(reply, messageView(title, `${body.error.message} (request ${request.id})`, { href: '/login', label: 'Back to sign-in' }), status, status === 503 ? { 'retry-after': '5' } : {});
}
