import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccountUser, postForm, TEST_PASSWORD } from './accounts.js';
import { buildTestApp, type TestApp } from './build-test-app.js';
import { HttpBrowser, type BrowserPage } from './http-browser.js';
import { startUpstreamIdp, type UpstreamIdp } from './upstream-idp.js';

const ORIGIN = 'http://127.0.0.1:8787';
const IDP_NAME = 'Test IdP';

/** The action of the (only) form on one of the IdP's development pages. */
function formAction(page: BrowserPage): string {
  const m = /<form[^>]*action="([^"]+)"/.exec(page.body);
  if (!m) throw new Error(`no form on ${page.url.href}: ${page.body.slice(0, 300)}`);
  return m[1]!.replace(/&amp;/g, '&');
}

/**
 * Upstream sign-in through a REAL second OpenID Connect provider started on 127.0.0.1: the login page's
 * button, the provider's login and consent pages, the callback, and what Cairn makes of the identity
 * (a new user, a user an administrator created, a conflicting email, a disabled user).
 */
export function runUpstreamLoginSuite(label: string, newDatabase: () => Promise<string | undefined>): void {
  describe(`upstream OpenID Connect sign-in (${label})`, () => {
    let idp: UpstreamIdp;
    let closed: TestApp;
    let open: TestApp;

    const appWith = async (signup: 'closed' | 'upstream' | 'open') => {
      const url = await newDatabase();
      return buildTestApp({
        ...(url ? { databaseUrl: url } : {}),
        env: { CAIRN_SIGNUP: signup, CAIRN_OIDC_ISSUER: idp.issuer, CAIRN_OIDC_CLIENT_ID: idp.clientId, CAIRN_OIDC_CLIENT_SECRET: idp.clientSecret, CAIRN_OIDC_NAME: IDP_NAME },
      });
    };

    beforeAll(async () => {
      idp = await startUpstreamIdp({ redirectUri: `${ORIGIN}/auth/callback/oidc` });
      closed = await appWith('closed');
      open = await appWith('open');
    });
    afterAll(async () => {
      await closed?.close();
      await open?.close();
      await idp?.close();
    });

    /** Clicks "Sign in with Test IdP", signs in at the IdP as `sub`, consents, and returns the Cairn page it ends on. */
    async function signInUpstream(t: TestApp, sub: string, returnTo?: string): Promise<{ page: BrowserPage; browser: HttpBrowser }> {
      const browser = new HttpBrowser(t.app, ORIGIN);
      const login = await browser.get(returnTo ? `/login?return_to=${encodeURIComponent(returnTo)}` : '/login');
      expect(login.body).toContain(`Sign in with ${IDP_NAME}`);
      let page = await browser.submit(login.url, '/login/upstream', { provider: 'oidc', return_to: returnTo ?? '/login' });
      expect(page.url.origin).toBe(idp.issuer);
      page = await browser.submit(page.url, formAction(page), { prompt: 'login', login: sub, password: 'any' });
      if (page.url.origin === idp.issuer) page = await browser.submit(page.url, formAction(page), { prompt: 'consent' });
      expect(page.url.origin).toBe(ORIGIN);
      return { page, browser };
    }

    async function sessionOf(t: TestApp, browser: HttpBrowser) {
      return t.runtime.services.sessions.fromHeaders({ cookie: browser.cookieHeader(ORIGIN) });
    }

    it('offers the provider on the login page', async () => {
      const res = await closed.app.inject({ method: 'GET', url: '/login' });
      expect(res.body).toContain('action="/login/upstream"');
      expect(res.body).toContain('<button type="submit" class="secondary">Sign in with Test IdP</button>');
    });

    it('sign-up closed: an unknown identity gets a clear message on the login page, and no account', async () => {
      idp.setAccount('sub-stranger', { email: 'stranger@example.com', emailVerified: true });
      const { page, browser } = await signInUpstream(closed, 'sub-stranger');
      expect(page.url.pathname).toBe('/login');
      expect(page.url.searchParams.get('error')).toBe('signup_disabled');
      expect(page.status).toBe(200);
      expect(page.body).toContain('sign-up is closed');
      expect(await sessionOf(closed, browser)).toBeNull();
      await expect(closed.runtime.services.users.byEmail('stranger@example.com')).rejects.toThrow(/not found/);
    });

    it('a user an administrator created signs in with a verified upstream email as that same user, and again later', async () => {
      const { user } = await closed.runtime.services.users.create({ email: 'bob@example.com', name: 'Bob' });
      idp.setAccount('sub-bob', { email: 'Bob@Example.com', emailVerified: true, name: 'Robert' });
      const { page, browser } = await signInUpstream(closed, 'sub-bob', '/authorize?client_id=c1');
      expect(page.url.pathname + page.url.search).toBe('/authorize?client_id=c1');
      expect(await sessionOf(closed, browser)).toMatchObject({ userId: user.id, email: 'bob@example.com' });
      const link = await closed.runtime.storage.db.selectFrom('auth_accounts').select(['user_id', 'account_id']).where('provider_id', '=', 'oidc').where('user_id', '=', user.id).execute();
      expect(link).toEqual([{ user_id: user.id, account_id: 'sub-bob' }]);

      const second = await signInUpstream(closed, 'sub-bob');
      expect(await sessionOf(closed, second.browser)).toMatchObject({ userId: user.id });
      expect((await closed.runtime.services.users.list()).filter((u) => u.email === 'bob@example.com')).toHaveLength(1);
    });

    it('conflicting email: an existing user and an address the provider did not verify is a message, not a login', async () => {
      await closed.runtime.services.users.create({ email: 'carol@example.com' });
      idp.setAccount('sub-carol', { email: 'carol@example.com', emailVerified: false });
      const { page, browser } = await signInUpstream(closed, 'sub-carol');
      expect(page.url.pathname).toBe('/login');
      expect(page.url.searchParams.get('error')).toBe('account_exists');
      expect(page.status).toBe(200);
      expect(page.body).toContain('A Cairn account with this email address already exists');
      expect(await sessionOf(closed, browser)).toBeNull();
      expect(await closed.runtime.storage.db.selectFrom('auth_accounts').select('id').where('account_id', '=', 'sub-carol').execute()).toEqual([]);
    });

    it('links a verified upstream email to an account that has a password', async () => {
      const { user } = await createAccountUser(closed.runtime.services, 'dana@example.com');
      idp.setAccount('sub-dana', { email: 'dana@example.com', emailVerified: true });
      const { browser } = await signInUpstream(closed, 'sub-dana');
      expect(await sessionOf(closed, browser)).toMatchObject({ userId: user.id });
      // The password still works.
      expect((await postForm(closed.app, ORIGIN, '/login', { email: 'dana@example.com', password: TEST_PASSWORD })).statusCode).toBe(303);
    });

    it('a disabled user is turned away with a message', async () => {
      const { user } = await createAccountUser(closed.runtime.services, 'erin@example.com');
      await closed.runtime.storage.db.updateTable('users').set({ disabled_at: closed.clock.now() }).where('id', '=', user.id).execute();
      idp.setAccount('sub-erin', { email: 'erin@example.com', emailVerified: true });
      const { page, browser } = await signInUpstream(closed, 'sub-erin');
      expect(page.url.searchParams.get('error')).toBe('account_disabled');
      expect(page.body).toContain('This account is disabled');
      expect(await sessionOf(closed, browser)).toBeNull();
    });

    it('sign-up open: a new identity becomes a Cairn user with a personal workspace', async () => {
      idp.setAccount('sub-fay', { email: 'fay@example.com', emailVerified: true, name: 'Fay' });
      const { page, browser } = await signInUpstream(open, 'sub-fay');
      expect(page.body).toContain('You are signed in to Cairn as <strong>Fay (fay@example.com)</strong>');
      const user = await open.runtime.services.users.byEmail('fay@example.com');
      expect(await sessionOf(open, browser)).toMatchObject({ userId: user.id, isAdmin: false });
      expect(await open.runtime.services.users.workspacesOf(user.id)).toEqual([expect.objectContaining({ kind: 'personal', role: 'owner' })]);
      const audit = await open.runtime.storage.db.selectFrom('audit_log').select('detail').where('target_id', '=', user.id).executeTakeFirstOrThrow();
      expect(JSON.parse(audit.detail!)).toEqual({ admin: false, via: 'upstream' });
    });

    it('sign-up "upstream": only the upstream login creates accounts', async () => {
      const t = await appWith('upstream');
      try {
        const page = await t.app.inject({ method: 'GET', url: '/signup' });
        expect(page.statusCode).toBe(200);
        expect(page.body).toContain(`Sign in with ${IDP_NAME}`);
        expect(page.body).not.toContain('name="password"');
        const form = await postForm(t.app, ORIGIN, '/signup', { name: 'Hal', email: 'hal@example.com', password: TEST_PASSWORD, confirm: TEST_PASSWORD });
        expect(form.statusCode).toBe(403);
        idp.setAccount('sub-hal', { email: 'hal@example.com', emailVerified: true });
        const { browser } = await signInUpstream(t, 'sub-hal');
        const hal = await t.runtime.services.users.byEmail('hal@example.com');
        expect(await sessionOf(t, browser)).toMatchObject({ userId: hal.id });
      } finally {
        await t.close();
      }
    });

    it('conflicting email: a self-registered account (address never verified) is not linked to a verified upstream login', async () => {
      const signup = await postForm(open.app, ORIGIN, '/signup', { name: 'Gus', email: 'gus@example.com', password: TEST_PASSWORD, confirm: TEST_PASSWORD });
      expect(signup.statusCode).toBe(303);
      const gus = await open.runtime.services.users.byEmail('gus@example.com');
      idp.setAccount('sub-gus', { email: 'gus@example.com', emailVerified: true });
      const { page, browser } = await signInUpstream(open, 'sub-gus');
      expect(page.url.searchParams.get('error')).toBe('account_not_linked');
      expect(page.body).toContain('A Cairn account with this email address already exists');
      expect(await sessionOf(open, browser)).toBeNull();
      expect(await open.runtime.storage.db.selectFrom('auth_accounts').select('provider_id').where('user_id', '=', gus.id).execute()).toEqual([{ provider_id: 'credential' }]);
    });

    it('a forged or replayed callback goes back to the login page with a message', async () => {
      const browser = new HttpBrowser(closed.app, ORIGIN);
      const page = await browser.get('/auth/callback/oidc?code=made-up&state=made-up');
      expect(page.url.pathname).toBe('/login');
      expect(page.status).toBe(200);
      expect(page.body).toContain('The sign-in expired or was started in another browser');
    });
  });
}
