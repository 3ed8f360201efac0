import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendPage } from './html.js';

/** One field of a url-encoded form body as a string ('' when absent or repeated). */
export function formValue(body: unknown, name: string): string {
  if (!body || typeof body !== 'object') return '';
  const value = (body as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : '';
}

/**
 * CSRF protection for the pages' form posts: the browser's Origin (or, when a browser sends none, the
 * Referer's origin) must be Cairn's own. A post with neither is refused too, so the check fails closed.
 * Answers 403 with an explanation and returns false when the request is refused.
 */
export function checkSameOrigin(request: FastifyRequest, reply: FastifyReply, trusted: readonly string[]): boolean {
  const origin = request.headers.origin;
  let claimed: string | undefined = typeof origin === 'string' && origin !== 'null' ? origin : undefined;
  if (claimed === undefined && typeof request.headers.referer === 'string') {
    try {
      claimed = new URL(request.headers.referer).origin;
    } catch {
      claimed = undefined;
    }
  }
  if (claimed !== undefined && trusted.includes(claimed)) return true;
  sendPage(
    reply,
    { title: 'Request refused', body: '<p>This form was not sent from a Cairn page, so it was refused. Go back to Cairn and submit it again.</p><p><a href="/login">Sign in</a></p>' },
    403,
  );
  return false;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The fields of a new-account form (sign-up, first administrator, set-password), checked before anything runs. */
export function newAccountErrors(
  values: { name?: string; email?: string; password: string; confirm: string },
  limits: { min: number; max: number },
): Partial<Record<'name' | 'email' | 'password' | 'confirm', string>> {
  const errors: Partial<Record<'name' | 'email' | 'password' | 'confirm', string>> = {};
  if (values.name !== undefined && values.name.length > 200) errors.name = 'Use at most 200 characters.';
  if (values.email !== undefined && (!EMAIL.test(values.email) || values.email.length > 320)) errors.email = 'Enter an email address such as ana@example.com.';
  if (values.password.length < limits.min) errors.password = `Use at least ${limits.min} characters.`;
  else if (values.password.length > limits.max) errors.password = `Use at most ${limits.max} characters.`;
  else if (values.confirm !== values.password) errors.confirm = 'The two passwords differ.';
  return errors;
}

/** 303 to `location` (always a path Cairn chose or checked), carrying the session cookies better-auth set. */
export function redirectAfterPost(reply: FastifyReply, location: string, cookies: readonly string[] = []): FastifyReply {
  if (cookies.length > 0) reply.header('set-cookie', [...cookies]);
  return reply.code(303).header('location', location).header('cache-control', 'no-store').send();
}
