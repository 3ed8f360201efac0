import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launchBrowser, type TestBrowser } from '../../testing/browser.js';
import { phoneContext, signIn, watchPage } from '../../testing/dashboard-browser.js';
import { startLiveServer, type LiveServer } from '../../testing/live-server.js';

/**
 * The dashboard's shell in Chromium against a real Cairn: the first-run setup of the first administrator,
 * sign-in, navigation (client-side routes that survive a reload), the phone-width menu, keyboard entry, and
 * sign-out — with no console error, CSP violation or failed request on the way.
 */

const ADMIN = { name: 'Ada Admin', email: 'ada@example.com', password: 'correct horse battery staple' };
const MEMBER = { email: 'bo@example.com', password: 'another horse battery staple' };

let server: LiveServer;
let browser: TestBrowser;

beforeAll(async () => {
  server = await startLiveServer();
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('first run', () => {
  test('the one-time setup link creates the first administrator, who lands in the dashboard with Admin in the nav', async () => {
    const link = await server.runtime.services.accounts.firstAdminLink();
    expect(link).toMatch(/\/setup\//);
    const context = await browser.newContext();
    const page = await context.newPage();
    const watch = watchPage(page, server.url);
    await page.goto(link!);
    await page.getByLabel('Name').fill(ADMIN.name);
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password', { exact: true }).fill(ADMIN.password);
    await page.getByLabel('Password again').fill(ADMIN.password);
    await Promise.all([page.waitForURL((u) => u.pathname === '/login'), page.getByRole('button', { name: 'Create administrator' }).click()]);
    expect(await page.content()).toContain('You are signed in to Cairn as <strong>Ada Admin (ada@example.com)</strong>');

    await page.getByRole('link', { name: 'Open the dashboard' }).click();
    await page.waitForURL((u) => u.pathname === '/memories');
    const nav = page.getByRole('navigation', { name: 'Main' });
    for (const label of ['Memories', 'Connect a client', 'API keys', 'Connected apps', 'Sessions', 'Activity', 'Admin']) {
      await expect(nav.getByRole('link', { name: label, exact: true }).isVisible()).resolves.toBe(true);
    }
    expect(await nav.getByRole('link', { name: 'Memories', exact: true }).getAttribute('aria-current')).toBe('page');

    // The link is used up: opening it again is refused, not a second administrator.
    watch.allow('/setup/', 404);
    const again = await page.goto(link!);
    expect(again?.status()).toBe(404);
    expect(watch.problems).toEqual([]);
    await context.close();
  });
});

describe('signed in', () => {
  beforeAll(async () => {
    await server.createPerson(MEMBER.email, MEMBER.password);
  });

  test('client-side routes survive a reload, unknown ones say so, and the page is served under the CSP without violations', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const watch = watchPage(page, server.url);
    await signIn(page, server.url, ADMIN.email, ADMIN.password, '/keys');
    const nav = page.getByRole('navigation', { name: 'Main' });
    expect(await nav.getByRole('link', { name: 'API keys', exact: true }).getAttribute('aria-current')).toBe('page');

    const reload = await page.goto(`${server.url}/activity`);
    expect(reload?.status()).toBe(200);
    expect(reload?.headers()['content-security-policy']).toContain("script-src 'self'");
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    expect(await nav.getByRole('link', { name: 'Activity', exact: true }).getAttribute('aria-current')).toBe('page');

    await nav.getByRole('link', { name: 'Sessions', exact: true }).click();
    await page.waitForURL((u) => u.pathname === '/sessions');

    await page.goto(`${server.url}/no-such-page`);
    await page.getByRole('heading', { name: 'Page not found' }).waitFor();
    await page.getByRole('link', { name: 'Go to your memories' }).click();
    await page.waitForURL((u) => u.pathname === '/memories');
    expect(watch.problems).toEqual([]);
    await context.close();
  });

  test('the keyboard reaches a skip link first, and it moves focus to the page', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, server.url, ADMIN.email, ADMIN.password);
    await page.locator('body').focus();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');
    await context.close();
  });

  test('a person who is not an administrator has no Admin page', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const watch = watchPage(page, server.url);
    await signIn(page, server.url, MEMBER.email, MEMBER.password);
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'Activity', exact: true }).waitFor();
    expect(await nav.getByRole('link', { name: 'Admin', exact: true }).count()).toBe(0);
    await page.goto(`${server.url}/admin`);
    await page.getByRole('heading', { name: 'Page not found' }).waitFor();
    expect(watch.problems).toEqual([]);
    await context.close();
  });

  test('at phone width the navigation is behind a menu button', async () => {
    const context = await phoneContext(browser);
    const page = await context.newPage();
    const watch = watchPage(page, server.url);
    await signIn(page, server.url, ADMIN.email, ADMIN.password);
    const open = page.getByRole('button', { name: 'Open navigation' });
    await open.waitFor();
    const keysLink = page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'API keys', exact: true });
    // The closed navigation is moved off the screen (Mantine keeps it in the DOM).
    const onScreen = () => keysLink.evaluate((el) => el.getBoundingClientRect().right > 0);
    expect(await onScreen()).toBe(false);
    await open.click();
    await page.getByRole('button', { name: 'Close navigation' }).waitFor();
    await expect.poll(onScreen).toBe(true);
    await keysLink.click();
    await page.waitForURL((u) => u.pathname === '/keys');
    await page.getByRole('button', { name: 'Open navigation' }).waitFor();
    await expect.poll(onScreen).toBe(false);
    // Nothing is wider than the phone: no sideways scrolling of the whole page.
    const widths = await page.evaluate(() => ({ doc: document.documentElement.scrollWidth, view: window.innerWidth }));
    expect(widths.doc).toBeLessThanOrEqual(widths.view);
    expect(watch.problems).toEqual([]);
    await context.close();
  });

  test('signing out from the account menu ends the session: the app sends the browser to the login page', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const watch = watchPage(page, server.url);
    watch.allow('/dashboard/api/v1/me', 401);
    await signIn(page, server.url, ADMIN.email, ADMIN.password);
    await page.getByRole('button', { name: `Account: ${ADMIN.email}` }).click();
    await Promise.all([page.waitForURL((u) => u.pathname === '/login'), page.getByRole('menuitem', { name: 'Sign out' }).click()]);
    expect(await page.locator('input[name=password]').count()).toBe(1);
    await page.goto(`${server.url}/keys`);
    await page.waitForURL((u) => u.pathname === '/login' && u.searchParams.get('return_to') === '/keys');
    expect(watch.problems).toEqual([]);
    await context.close();
  });
});
