import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT_LIMITS, IP_LIMITS } from '../accounts/policy.js';
import { isAppError } from '../errors/app-error.js';
import { cookieHeader, createAccountUser, postForm, signInCookie, TEST_PASSWORD } from './accounts.js';
import { buildTestApp, type TestApp } from './build-test-app.js';

const ORIGIN = 'http://127.0.0.1:8787';

/** A fresh client address per test that signs in, so better-auth's per-IP limit never carries over. */
let nextAddress = 1;
function freshIp(): string {
  nextAddress += 1;
  return `10.${(nextAddress >> 16) & 255}.${(nextAddress >> 8) & 255}.${nextAddress & 255}`;
}

function setCookies(res: LightMyRequestResponse): string[] {
  const h = res.headers['set-cookie'];
  return h === undefined ? [] : Array.isArray(h) ? h : [h];
}

function sessionCookie(res: LightMyRequestResponse): string | undefined {
  return setCookies(res).find((c) => /^(__Secure-)?cairn\.session_token=[^;]+/.test(c));
}

async function countRows(t: TestApp, table: 'users' | 'auth_users' | 'auth_sessions' | 'workspaces' | 'memberships', where?: { column: string; value: string }): Promise<number> {
  let q = t.runtime.storage.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n'));
  if (where) q = q.where(where.column as never, '=', where.value as never);
  return Number((await q.executeTakeFirstOrThrow()).n);
}

/**
 * The browser-account surface against one database: sign-up policy, sign-in and its cookie, generic
 * failures, rate limits, origin checks, return_to, setup links, disabled users, the session reader and
 * store failures. `databaseUrl` undefined = in-memory SQLite.
 */
export function runAccountPagesSuite(label: string, newDatabase: () => Promise<string | undefined>): void {
  /** Each app gets a database of its own (a new in-memory SQLite, or a new PostgreSQL database). */
  const appOn = async (env?: Record<string, string>) => {
    const url = await newDatabase();
    return buildTestApp({ ...(url ? { databaseUrl: url } : {}), ...(env ? { env } : {}) });
  };
  describe(`browser accounts (${label})`, () => {
    let t: TestApp;
    const get = (url: string, cookie?: string) => t.app.inject({ method: 'GET', url, headers: cookie ? { cookie } : {} });
    const login = (fields: Record<string, string>, opts: { ip?: string; headers?: Record<string, string> } = {}) =>
      t.app.inject({
        method: 'POST',
        url: '/login',
        remoteAddress: opts.ip ?? freshIp(),
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: ORIGIN, ...opts.headers },
        payload: new URLSearchParams(fields).toString(),
      });

    beforeAll(async () => {
      t = await appOn();
    });
    afterAll(async () => t?.close());

    describe('pages', () => {
      it('send a CSP with frame-ancestors none, X-Frame-Options DENY and no-store', async () => {
        const res = await get('/login');
        expect(res.statusCode).toBe(200);
        expect(res.headers['content-type']).toMatch(/^text\/html/);
        expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
        expect(res.headers['content-security-policy']).toContain("default-src 'none'");
        expect(res.headers['x-frame-options']).toBe('DENY');
        expect(res.headers['cache-control']).toBe('no-store');
        expect(res.body).toContain('<label for="f-email">Email</label>');
        expect(res.body).toContain('autocomplete="current-password"');
      });

      it('the login form offers no sign-up link and no upstream buttons when neither is configured', async () => {
        const res = await get('/login');
        expect(res.body).not.toContain('/signup');
        expect(res.body).not.toContain('/login/upstream');
      });
    });

    describe('sign-up policy: closed by default', () => {
      it('GET and POST /signup say sign-up is closed, and better-auth refuses /auth/sign-up/email', async () => {
        expect((await get('/signup')).statusCode).toBe(403);
        const form = await postForm(t.app, ORIGIN, '/signup', { email: 'walkin@example.com', password: TEST_PASSWORD, confirm: TEST_PASSWORD }, {});
        expect(form.statusCode).toBe(403);
        const api = await t.app.inject({ method: 'POST', url: '/auth/sign-up/email', headers: { origin: ORIGIN }, payload: { email: 'walkin@example.com', password: TEST_PASSWORD, name: 'W' } });
        expect(api.statusCode).toBe(400);
        expect(await countRows(t, 'users', { column: 'email', value: 'walkin@example.com' })).toBe(0);
        expect(await countRows(t, 'auth_users', { column: 'email', value: 'walkin@example.com' })).toBe(0);
      });
    });

    describe('sign-in', () => {
      it('sets an HttpOnly, Secure, SameSite=Lax session cookie named cairn.session_token and goes to return_to', async () => {
        const { user } = await createAccountUser(t.runtime.services, 'ana@example.com', { name: 'Ana' });
        const res = await login({ email: 'Ana@Example.com', password: TEST_PASSWORD, return_to: '/authorize?client_id=x' });
        expect(res.statusCode).toBe(303);
        expect(res.headers.location).toBe('/authorize?client_id=x');
        const cookie = sessionCookie(res);
        expect(cookie).toBeDefined();
        expect(cookie).toMatch(/^cairn\.session_token=/);
        expect(cookie).toMatch(/; HttpOnly/i);
        expect(cookie).toMatch(/; Secure/i);
        expect(cookie).toMatch(/; SameSite=Lax/i);
        expect(cookie).toMatch(/; Path=\//i);
        expect(cookie).toMatch(/; Max-Age=604800/i);

        const session = await t.runtime.services.sessions.fromHeaders({ cookie: cookieHeader(setCookies(res)) });
        expect(session).toMatchObject({ userId: user.id, email: 'ana@example.com', name: 'Ana', isAdmin: false });
        expect(session!.sessionId).toMatch(/^ses_/);

        const page = await get('/login', cookieHeader(setCookies(res)));
        expect(page.body).toContain('signed in to Cairn as <strong>Ana (ana@example.com)</strong>');
      });

      it('answers a wrong password and an unknown email with the same generic 401 and no cookie', async () => {
        await createAccountUser(t.runtime.services, 'bo@example.com');
        const wrong = await login({ email: 'bo@example.com', password: 'not the password at all' });
        const unknown = await login({ email: 'nobody@example.com', password: 'not the password at all' });
        for (const res of [wrong, unknown]) {
          expect(res.statusCode).toBe(401);
          expect(res.body).toContain('The email or password is not correct.');
          expect(sessionCookie(res)).toBeUndefined();
        }
        // The email is kept in the form, the password never is.
        expect(wrong.body).toContain('value="bo@example.com"');
        expect(wrong.body).not.toContain('not the password at all');
      });

      it('better-auth\'s own JSON endpoint signs in too; endpoints Cairn does not use are switched off', async () => {
        const { user } = await createAccountUser(t.runtime.services, 'json@example.com', { name: 'Jay' });
        const res = await t.app.inject({ method: 'POST', url: '/auth/sign-in/email', remoteAddress: freshIp(), headers: { origin: ORIGIN }, payload: { email: 'json@example.com', password: TEST_PASSWORD } });
        expect(res.statusCode).toBe(200);
        const cookie = cookieHeader(setCookies(res));
        const current = await t.app.inject({ method: 'GET', url: '/auth/get-session', headers: { cookie } });
        expect(current.json()).toMatchObject({ user: { id: user.id, email: 'json@example.com' } });
        for (const path of ['/auth/update-user', '/auth/change-email', '/auth/delete-user', '/auth/request-password-reset', '/auth/get-access-token', '/auth/link-social']) {
          const off = await t.app.inject({ method: 'POST', url: path, headers: { cookie, origin: ORIGIN }, payload: { name: 'Renamed', newEmail: 'x@example.com', email: 'json@example.com', providerId: 'github', provider: 'github' } });
          expect(off.statusCode, path).toBe(404);
        }
        expect((await t.runtime.services.users.byId(user.id))?.name).toBe('Jay');
      });

      it('a user created by the CLI (no password yet) cannot sign in, with the same generic answer', async () => {
        await t.runtime.services.users.create({ email: 'cli-only@example.com' });
        const res = await login({ email: 'cli-only@example.com', password: TEST_PASSWORD });
        expect(res.statusCode).toBe(401);
        expect(res.body).toContain('The email or password is not correct.');
      });
    });

    describe('rate limits', () => {
      it(`refuses the ${IP_LIMITS.signIn.max + 1}th sign-in from one address within a minute with 429 and Retry-After`, async () => {
        const ip = freshIp();
        for (let i = 0; i < IP_LIMITS.signIn.max; i++) {
          const res = await login({ email: `probe${i}@example.com`, password: 'wrong-password-here' }, { ip });
          expect(res.statusCode).toBe(401);
        }
        const limited = await login({ email: 'probe-last@example.com', password: 'wrong-password-here' }, { ip });
        expect(limited.statusCode).toBe(429);
        expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
        expect(limited.body).toContain('Too many attempts');
        // Another address is not affected.
        expect((await login({ email: 'probe-last@example.com', password: 'wrong-password-here' })).statusCode).toBe(401);
      });

      it(`refuses the ${ACCOUNT_LIMITS.max + 1}th attempt on one account from any address, also on /auth/sign-in/email`, async () => {
        await createAccountUser(t.runtime.services, 'target@example.com');
        for (let i = 0; i < ACCOUNT_LIMITS.max; i++) expect((await login({ email: 'target@example.com', password: `guess-number-${i}` })).statusCode).toBe(401);
        // Even the right password is refused while the account is limited: guessing cannot tell the difference.
        const limited = await login({ email: 'TARGET@example.com', password: TEST_PASSWORD });
        expect(limited.statusCode).toBe(429);
        expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
        expect(sessionCookie(limited)).toBeUndefined();
        const api = await t.app.inject({ method: 'POST', url: '/auth/sign-in/email', remoteAddress: freshIp(), headers: { origin: ORIGIN }, payload: { email: 'target@example.com', password: TEST_PASSWORD } });
        expect(api.statusCode).toBe(429);
        expect(Number(api.headers['retry-after'])).toBeGreaterThan(0);
        // Other accounts are not affected.
        await createAccountUser(t.runtime.services, 'bystander@example.com');
        expect((await login({ email: 'bystander@example.com', password: TEST_PASSWORD })).statusCode).toBe(303);
      });
    });

    describe('origin checks (CSRF)', () => {
      it('refuses form posts from another origin, or with neither Origin nor Referer; accepts a same-origin Referer', async () => {
        await createAccountUser(t.runtime.services, 'csrf@example.com');
        const fields = { email: 'csrf@example.com', password: TEST_PASSWORD };
        const foreign = await login(fields, { headers: { origin: 'https://evil.example' } });
        expect(foreign.statusCode).toBe(403);
        expect(sessionCookie(foreign)).toBeUndefined();
        const nullOrigin = await login(fields, { headers: { origin: 'null' } });
        expect(nullOrigin.statusCode).toBe(403);
        const bare = await t.app.inject({ method: 'POST', url: '/login', remoteAddress: freshIp(), headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(fields).toString() });
        expect(bare.statusCode).toBe(403);
        const byReferer = await t.app.inject({
          method: 'POST',
          url: '/login',
          remoteAddress: freshIp(),
          headers: { 'content-type': 'application/x-www-form-urlencoded', referer: `${ORIGIN}/login?return_to=%2F` },
          payload: new URLSearchParams(fields).toString(),
        });
        expect(byReferer.statusCode).toBe(303);
      });

      it('refuses a cross-origin sign-out on the page and on /auth/sign-out; the session keeps working', async () => {
        await createAccountUser(t.runtime.services, 'stay@example.com');
        const cookie = await signInCookie(t.app, ORIGIN, 'stay@example.com');
        const page = await t.app.inject({ method: 'POST', url: '/logout', headers: { cookie, origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' }, payload: '' });
        expect(page.statusCode).toBe(403);
        const api = await t.app.inject({ method: 'POST', url: '/auth/sign-out', headers: { cookie, origin: 'https://evil.example' }, payload: {} });
        expect(api.statusCode).toBe(403);
        expect(await t.runtime.services.sessions.fromHeaders({ cookie })).not.toBeNull();

        const out = await t.app.inject({ method: 'POST', url: '/logout', headers: { cookie, origin: ORIGIN, 'content-type': 'application/x-www-form-urlencoded' }, payload: '' });
        expect(out.statusCode).toBe(303);
        expect(out.headers.location).toBe('/login');
        expect(setCookies(out).some((c) => /^cairn\.session_token=;/.test(c) && /Max-Age=0/i.test(c))).toBe(true);
        expect(await t.runtime.services.sessions.fromHeaders({ cookie })).toBeNull();
      });

      it('a signed-in browser cannot be made to sign in elsewhere: /auth/sign-in/email with a session cookie needs a trusted Origin', async () => {
        await createAccountUser(t.runtime.services, 'fixation@example.com');
        const cookie = await signInCookie(t.app, ORIGIN, 'fixation@example.com');
        const res = await t.app.inject({ method: 'POST', url: '/auth/sign-in/email', remoteAddress: freshIp(), headers: { cookie, origin: 'https://evil.example' }, payload: { email: 'fixation@example.com', password: TEST_PASSWORD } });
        expect(res.statusCode).toBe(403);
      });
    });

    describe('return_to', () => {
      it.each([
        ['https://evil.example/steal', '/login'],
        ['//evil.example/steal', '/login'],
        ['/\\evil.example', '/login'],
        ['/%2F%2Fevil.example', '/login'],
        ['http://127.0.0.1:8787/authorize', '/login'],
        ['javascript:alert(1)', '/login'],
        ['/authorize?client_id=abc&state=x', '/authorize?client_id=abc&state=x'],
      ])('return_to=%s sends the person to %s', async (returnTo, expected) => {
        const email = `rt-${Math.random().toString(36).slice(2)}@example.com`;
        await createAccountUser(t.runtime.services, email);
        const res = await login({ email, password: TEST_PASSWORD, return_to: returnTo });
        expect(res.statusCode).toBe(303);
        expect(res.headers.location).toBe(expected);
      });

      it('a signed-in person is sent on to a same-origin return_to at once, never to another site', async () => {
        await createAccountUser(t.runtime.services, 'already@example.com');
        const cookie = await signInCookie(t.app, ORIGIN, 'already@example.com');
        const same = await get('/login?return_to=%2Fauthorize%3Fx%3D1', cookie);
        expect(same.statusCode).toBe(303);
        expect(same.headers.location).toBe('/authorize?x=1');
        const foreign = await get('/login?return_to=https%3A%2F%2Fevil.example%2F', cookie);
        expect(foreign.statusCode).toBe(200);
        expect(foreign.headers.location).toBeUndefined();
        expect(foreign.body).toContain('You are signed in');
      });

      it('the session reader builds login links that bring the person back', () => {
        const sessions = t.runtime.services.sessions;
        expect(sessions.loginPath('/authorize?client_id=a&x=1')).toBe('/login?return_to=%2Fauthorize%3Fclient_id%3Da%26x%3D1');
        expect(sessions.loginPath('https://evil.example/')).toBe('/login');
      });
    });

    describe('setup links', () => {
      it('the first-administrator link creates an admin with a personal workspace, signs them in, and works only once', async () => {
        const fresh = await appOn();
        try {
          const link = await fresh.runtime.services.accounts.firstAdminLink();
          expect(link).toMatch(/^http:\/\/127\.0\.0\.1:8787\/setup\/[0-9A-Za-z]{32}$/);
          const path = new URL(link!).pathname;
          const form = await fresh.app.inject({ method: 'GET', url: path });
          expect(form.statusCode).toBe(200);
          expect(form.body).toContain('Create the first administrator');

          const fields = { name: 'Root', email: 'root@example.com', password: TEST_PASSWORD, confirm: TEST_PASSWORD };
          const mismatch = await postForm(fresh.app, ORIGIN, path, { ...fields, confirm: 'something else entirely' });
          expect(mismatch.statusCode).toBe(400);
          expect(mismatch.body).toContain('The two passwords differ.');

          const done = await postForm(fresh.app, ORIGIN, path, fields);
          expect(done.statusCode).toBe(303);
          expect(done.headers.location).toBe('/login');
          const cookie = cookieHeader(setCookies(done));
          const session = await fresh.runtime.services.sessions.fromHeaders({ cookie });
          expect(session).toMatchObject({ email: 'root@example.com', name: 'Root', isAdmin: true });
          const [workspace] = await fresh.runtime.services.users.workspacesOf(session!.userId);
          expect(workspace).toMatchObject({ kind: 'personal', role: 'owner' });

          // Used up: the link is gone.
          const again = await postForm(fresh.app, ORIGIN, path, { ...fields, email: 'second@example.com' });
          expect(again.statusCode).toBe(404);
          expect((await fresh.app.inject({ method: 'GET', url: path })).statusCode).toBe(404);
          expect(await countRows(fresh, 'users', { column: 'email', value: 'second@example.com' })).toBe(0);
          expect(await fresh.runtime.services.accounts.firstAdminLink()).toBeUndefined();
          // The password works on the login page too.
          expect((await postForm(fresh.app, ORIGIN, '/login', { email: 'root@example.com', password: TEST_PASSWORD })).statusCode).toBe(303);
        } finally {
          await fresh.close();
        }
      });

      it('a set-password link for a CLI-created admin sets the password once; a used, replaced or expired link is refused', async () => {
        const { user } = await t.runtime.services.users.create({ email: 'cli-admin@example.com', isAdmin: true });
        const replaced = new URL((await t.runtime.services.accounts.setPasswordLink(user)).url).pathname;
        const { url, expiresAt } = await t.runtime.services.accounts.setPasswordLink(user);
        expect(expiresAt).toBe(t.clock.now() + 3600_000);
        const path = new URL(url).pathname;
        expect((await get(replaced)).statusCode).toBe(404);

        const form = await get(path);
        expect(form.statusCode).toBe(200);
        expect(form.body).toContain('<strong>cli-admin@example.com</strong>');
        const foreign = await postForm(t.app, 'https://evil.example', path, { password: TEST_PASSWORD, confirm: TEST_PASSWORD });
        expect(foreign.statusCode).toBe(403);
        const short = await postForm(t.app, ORIGIN, path, { password: 'short', confirm: 'short' });
        expect(short.statusCode).toBe(400);

        const done = await postForm(t.app, ORIGIN, path, { password: TEST_PASSWORD, confirm: TEST_PASSWORD });
        expect(done.statusCode).toBe(303);
        const session = await t.runtime.services.sessions.fromHeaders({ cookie: cookieHeader(setCookies(done)) });
        expect(session).toMatchObject({ userId: user.id, isAdmin: true });
        // The browser account has the Cairn user's id.
        expect(await countRows(t, 'auth_users', { column: 'id', value: user.id })).toBe(1);

        const reused = await postForm(t.app, ORIGIN, path, { password: 'another long password', confirm: 'another long password' });
        expect(reused.statusCode).toBe(404);
        expect(reused.body).toContain('not valid');
        expect((await login({ email: 'cli-admin@example.com', password: TEST_PASSWORD })).statusCode).toBe(303);
        expect((await login({ email: 'cli-admin@example.com', password: 'another long password' })).statusCode).toBe(401);

        const late = new URL((await t.runtime.services.accounts.setPasswordLink(user)).url).pathname;
        t.clock.advance(3600_000);
        expect((await get(late)).statusCode).toBe(404);
        expect((await postForm(t.app, ORIGIN, late, { password: 'another long password', confirm: 'another long password' })).statusCode).toBe(404);
      });

      it('a malformed token is simply not valid', async () => {
        for (const token of ['x', 'A'.repeat(33), '%00'.repeat(3)]) expect((await get(`/setup/${token}`)).statusCode).toBe(404);
      });

      it('a new set-password link ends the sessions the user had', async () => {
        const { user } = await createAccountUser(t.runtime.services, 'reset@example.com');
        const cookie = await signInCookie(t.app, ORIGIN, 'reset@example.com');
        const path = new URL((await t.runtime.services.accounts.setPasswordLink(user)).url).pathname;
        expect((await postForm(t.app, ORIGIN, path, { password: 'a brand new password', confirm: 'a brand new password' })).statusCode).toBe(303);
        expect(await t.runtime.services.sessions.fromHeaders({ cookie })).toBeNull();
      });
    });

    describe('disabled users', () => {
      it('lose their sessions at once and cannot sign in again', async () => {
        const { user } = await createAccountUser(t.runtime.services, 'gone@example.com');
        const cookie = await signInCookie(t.app, ORIGIN, 'gone@example.com');
        expect(await t.runtime.services.sessions.fromHeaders({ cookie })).not.toBeNull();
        await t.runtime.storage.db.updateTable('users').set({ disabled_at: t.clock.now() }).where('id', '=', user.id).execute();

        expect(await t.runtime.services.sessions.fromHeaders({ cookie })).toBeNull();
        expect(await countRows(t, 'auth_sessions', { column: 'user_id', value: user.id })).toBe(0);
        const page = await get('/login', cookie);
        expect(page.body).toContain('Sign in to Cairn');
        const api = await t.app.inject({ method: 'GET', url: '/auth/get-session', headers: { cookie } });
        expect(api.json()).toBeNull();

        const again = await login({ email: 'gone@example.com', password: TEST_PASSWORD });
        expect(again.statusCode).toBe(403);
        expect(again.body).toContain('This account is disabled');
        expect(sessionCookie(again)).toBeUndefined();
      });
    });

    describe('session reader', () => {
      it('returns null without a cookie, for a forged or unknown cookie, and after sign-out', async () => {
        const sessions = t.runtime.services.sessions;
        expect(await sessions.fromHeaders({})).toBeNull();
        expect(await sessions.fromHeaders({ cookie: 'other=1' })).toBeNull();
        await createAccountUser(t.runtime.services, 'reader@example.com');
        const cookie = await signInCookie(t.app, ORIGIN, 'reader@example.com');
        const token = /cairn\.session_token=([^;]+)/.exec(cookie)![1]!;
        // The cookie is token.signature: a token without the right signature is nobody.
        const forged = `cairn.session_token=${encodeURIComponent(`${decodeURIComponent(token).split('.')[0]}.AAAA`)}`;
        expect(await sessions.fromHeaders({ cookie: forged })).toBeNull();
        expect(await sessions.fromHeaders({ cookie })).not.toBeNull();
      });

      it('fails closed with UNAVAILABLE when the store cannot be reached, and the pages answer 503', async () => {
        await createAccountUser(t.runtime.services, 'outage@example.com');
        const cookie = await signInCookie(t.app, ORIGIN, 'outage@example.com');
        t.faults.down();
        try {
          const err = await t.runtime.services.sessions.fromHeaders({ cookie }).then(() => undefined, (e: unknown) => e);
          expect(isAppError(err) && err.code).toBe('UNAVAILABLE');
          const page = await get('/login', cookie);
          expect(page.statusCode).toBe(503);
          expect(page.headers['retry-after']).toBeDefined();
          expect(page.headers['content-type']).toMatch(/^text\/html/);
          const signIn = await login({ email: 'outage@example.com', password: TEST_PASSWORD });
          expect(signIn.statusCode).toBe(503);
          expect(sessionCookie(signIn)).toBeUndefined();
        } finally {
          t.faults.up();
        }
        expect(await t.runtime.services.sessions.fromHeaders({ cookie })).not.toBeNull();
      });
    });
  });

  describe(`open sign-up (${label})`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await appOn({ CAIRN_SIGNUP: 'open' });
    });
    afterAll(async () => t?.close());
    const signup = (fields: Record<string, string>) =>
      t.app.inject({ method: 'POST', url: '/signup', remoteAddress: freshIp(), headers: { 'content-type': 'application/x-www-form-urlencoded', origin: ORIGIN }, payload: new URLSearchParams(fields).toString() });

    it('creates a Cairn user (same id), a personal workspace and an owner membership, and signs the person in', async () => {
      expect((await t.app.inject({ method: 'GET', url: '/signup' })).statusCode).toBe(200);
      expect((await t.app.inject({ method: 'GET', url: '/login' })).body).toContain('href="/signup"');
      const res = await signup({ name: 'Cleo', email: 'Cleo@Example.com', password: TEST_PASSWORD, confirm: TEST_PASSWORD, return_to: '/authorize?a=1' });
      expect(res.statusCode).toBe(303);
      expect(res.headers.location).toBe('/authorize?a=1');
      const user = await t.runtime.services.users.byEmail('cleo@example.com');
      expect(user).toMatchObject({ name: 'Cleo', isAdmin: false, disabledAt: null });
      expect(await countRows(t, 'auth_users', { column: 'id', value: user.id })).toBe(1);
      expect(await t.runtime.services.users.workspacesOf(user.id)).toEqual([expect.objectContaining({ kind: 'personal', role: 'owner' })]);
      const audit = await t.runtime.storage.db.selectFrom('audit_log').selectAll().where('target_id', '=', user.id).executeTakeFirstOrThrow();
      expect(audit).toMatchObject({ action: 'user.create', credential_kind: 'browser' });
      expect(JSON.parse(audit.detail!)).toEqual({ admin: false, via: 'signup' });
      const session = await t.runtime.services.sessions.fromHeaders({ cookie: cookieHeader(setCookies(res)) });
      expect(session).toMatchObject({ userId: user.id, email: 'cleo@example.com' });
    });

    it('never lets anyone claim a user an administrator created, nor an existing account', async () => {
      const { user } = await t.runtime.services.users.create({ email: 'claimed@example.com', isAdmin: true });
      const res = await signup({ name: 'Mallory', email: 'claimed@example.com', password: TEST_PASSWORD, confirm: TEST_PASSWORD });
      expect(res.statusCode).toBe(409);
      expect(res.body).toContain('An account with this email already exists');
      expect(sessionCookie(res)).toBeUndefined();
      expect(await countRows(t, 'auth_users', { column: 'email', value: 'claimed@example.com' })).toBe(0);
      expect((await t.runtime.services.users.byEmail('claimed@example.com')).id).toBe(user.id);
      // The JSON endpoint is refused the same way.
      const api = await t.app.inject({ method: 'POST', url: '/auth/sign-up/email', remoteAddress: freshIp(), headers: { origin: ORIGIN }, payload: { name: 'M', email: 'claimed@example.com', password: TEST_PASSWORD } });
      expect(api.statusCode).toBe(422);
      expect(await countRows(t, 'users', { column: 'email', value: 'claimed@example.com' })).toBe(1);

      await createAccountUser(t.runtime.services, 'has-password@example.com');
      const dup = await signup({ name: 'X', email: 'has-password@example.com', password: TEST_PASSWORD, confirm: TEST_PASSWORD });
      expect(dup.statusCode).toBe(409);
    });

    it('checks the form before anything is created', async () => {
      const res = await signup({ name: 'Dee', email: 'not-an-email', password: 'short', confirm: 'short' });
      expect(res.statusCode).toBe(400);
      expect(res.body).toContain('Enter an email address');
      expect(res.body).toContain(`Use at least 10 characters.`);
      expect(res.body).toContain('aria-invalid="true"');
      expect(await countRows(t, 'users', { column: 'email', value: 'not-an-email' })).toBe(0);
    });

    it(`limits sign-ups per address (${IP_LIMITS.signUp.max} a minute)`, async () => {
      const ip = freshIp();
      const statuses: number[] = [];
      for (let i = 0; i <= IP_LIMITS.signUp.max; i++) {
        const res = await t.app.inject({
          method: 'POST',
          url: '/signup',
          remoteAddress: ip,
          headers: { 'content-type': 'application/x-www-form-urlencoded', origin: ORIGIN },
          payload: new URLSearchParams({ name: '', email: `bulk${i}@example.com`, password: TEST_PASSWORD, confirm: TEST_PASSWORD }).toString(),
        });
        statuses.push(res.statusCode);
        if (res.statusCode === 429) expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      }
      expect(statuses.slice(0, IP_LIMITS.signUp.max).every((s) => s === 303)).toBe(true);
      expect(statuses.at(-1)).toBe(429);
    });
  });

  describe(`GitHub login (${label})`, () => {
    it('offers GitHub and starts its authorization-code flow with Cairn\'s callback and a state bound to a cookie', async () => {
      const t = await appOn({ CAIRN_GITHUB_CLIENT_ID: 'gh-client-id', CAIRN_GITHUB_CLIENT_SECRET: 'gh-client-secret' });
      try {
        expect((await t.app.inject({ method: 'GET', url: '/login' })).body).toContain('Sign in with GitHub');
        const res = await postForm(t.app, ORIGIN, '/login/upstream', { provider: 'github', return_to: '/authorize?c=1' });
        expect(res.statusCode).toBe(303);
        const target = new URL(res.headers.location as string);
        expect(target.origin + target.pathname).toBe('https://github.com/login/oauth/authorize');
        expect(target.searchParams.get('client_id')).toBe('gh-client-id');
        expect(target.searchParams.get('redirect_uri')).toBe(`${ORIGIN}/auth/callback/github`);
        expect(target.searchParams.get('state')).toMatch(/.{16,}/);
        expect(target.searchParams.get('scope')).toContain('user:email');
        expect(setCookies(res).some((c) => /^cairn\.state=/.test(c) && /HttpOnly/i.test(c))).toBe(true);
        // A provider that is not configured is refused.
        expect((await postForm(t.app, ORIGIN, '/login/upstream', { provider: 'google' })).statusCode).toBe(400);
      } finally {
        await t.close();
      }
    });
  });

  describe(`https public URL (${label})`, () => {
    it('prefixes the session cookie with __Secure-', async () => {
      const t = await appOn({ CAIRN_PUBLIC_URL: 'https://cairn.example.com' });
      try {
        await createAccountUser(t.runtime.services, 'tls@example.com');
        const res = await postForm(t.app, 'https://cairn.example.com', '/login', { email: 'tls@example.com', password: TEST_PASSWORD });
        expect(res.statusCode).toBe(303);
        const cookie = sessionCookie(res);
        expect(cookie).toMatch(/^__Secure-cairn\.session_token=.*; Secure/i);
        expect(await t.runtime.services.sessions.fromHeaders({ cookie: cookieHeader(setCookies(res)) })).not.toBeNull();
        // The loopback aliases of an http public URL are not trusted for an https one.
        expect((await postForm(t.app, 'http://127.0.0.1:8787', '/login', { email: 'tls@example.com', password: TEST_PASSWORD })).statusCode).toBe(403);
      } finally {
        await t.close();
      }
    });
  });
}
