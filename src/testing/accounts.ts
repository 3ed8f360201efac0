import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { Services } from '../services.js';
import type { User, Workspace } from '../core/users/user.js';

/** The password test users get unless a test picks one. */
export const TEST_PASSWORD = 'correct horse battery staple';

/**
 * A Cairn user with a browser account and a password, made the way production makes one for a person an
 * administrator added: `cairn user create`, then the set-password link.
 */
export async function createAccountUser(
  services: Pick<Services, 'users' | 'accounts'>,
  email: string,
  opts: { admin?: boolean; password?: string; name?: string } = {},
): Promise<{ user: User; workspace: Workspace; password: string }> {
  const { user, workspace } = await services.users.create({ email, name: opts.name ?? null, isAdmin: opts.admin ?? false });
  const password = opts.password ?? TEST_PASSWORD;
  await services.accounts.setPassword(user, password);
  return { user, workspace, password };
}

/** The `name=value` pairs of Set-Cookie headers, as a Cookie request header. */
export function cookieHeader(setCookie: string | string[] | undefined): string {
  const all = setCookie === undefined ? [] : Array.isArray(setCookie) ? setCookie : [setCookie];
  return all
    .map((c) => c.split(';', 1)[0]!.trim())
    .filter((pair) => !/=$/.test(pair)) // a cleared cookie (empty value) is not sent back
    .join('; ');
}

/** A form post from a Cairn page, as a browser sends it (same-origin Origin header, url-encoded body). */
export function postForm(app: FastifyInstance, origin: string, url: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin, ...headers },
    payload: new URLSearchParams(fields).toString(),
  });
}

/**
 * Signs in through the login page and returns the Cookie header that carries the session (for tests of
 * the consent page, the dashboard, or the session column of the auth matrix). `origin` is the public URL.
 */
export async function signInCookie(app: FastifyInstance, origin: string, email: string, password = TEST_PASSWORD): Promise<string> {
  const res = await postForm(app, origin, '/login', { email, password });
  if (res.statusCode !== 303) throw new Error(`signing in as ${email} answered ${res.statusCode}: ${res.body.slice(0, 500)}`);
  const cookie = cookieHeader(res.headers['set-cookie']);
  if (!cookie) throw new Error(`signing in as ${email} set no cookie`);
  return cookie;
}
