import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { axeViolations } from '../../testing/axe.js';
import { launchBrowser, type TestBrowser } from '../../testing/browser.js';
import { phoneContext, signIn } from '../../testing/dashboard-browser.js';
import { SEED_ADMIN, seedDashboard } from '../../testing/dashboard-seed.js';
import { startLiveServer, type LiveServer } from '../../testing/live-server.js';

/**
 * Every dashboard page, and the dialogs people meet most, checked with axe-core against WCAG 2.1 A and AA
 * (labels, names, roles, contrast, landmarks, …) at desktop and phone width, in Chromium against a real Cairn
 * with the shared seed. Keyboard use is covered beside each page's own tests.
 */

let server: LiveServer;
let browser: TestBrowser;

const PAGES: readonly [path: string, ready: string][] = [
  ['/memories', '[data-memory-row]'],
  ['/connect', 'pre'],
  ['/keys', '[data-key-row]'],
  ['/apps', '[data-connection-row]'],
  // The seed's person has only a personal workspace; teams.browser.test.ts checks a shared one's Members page.
  ['/members', '[data-workspace-kind=personal]'],
  ['/sessions', '[data-session-row]'],
  ['/activity', '[data-activity-row]'],
  ['/admin', '[data-user-row]'],
];

beforeAll(async () => {
  server = await startLiveServer();
  browser = await launchBrowser();
  await seedDashboard(server, { apps: true });
  await server.runtime.services.flush();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function signedIn(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  await signIn(page, server.url, SEED_ADMIN.email, SEED_ADMIN.password);
  return page;
}

describe.each([
  ['desktop', () => browser.newContext({ viewport: { width: 1280, height: 800 }, reducedMotion: 'reduce' })],
  ['phone', () => phoneContext(browser)],
] as const)('at %s width', (_size, open) => {
  test('every page has no WCAG 2.1 A/AA violation', async () => {
    const context = await open();
    const page = await signedIn(context);
    const found: string[] = [];
    for (const [path, ready] of PAGES) {
      await page.goto(`${server.url}${path}`);
      await page.locator(ready).first().waitFor();
      for (const v of await axeViolations(page)) found.push(`${path} ${v}`);
    }
    expect(found).toEqual([]);
    await context.close();
  });
});

test('the memory drawer, the key dialog and the sign-in page have no WCAG 2.1 A/AA violation', async () => {
  const context = await browser.newContext({ reducedMotion: 'reduce' });
  const page = await signedIn(context);
  await page.locator('[data-memory-row]').first().click();
  await page.getByRole('dialog', { name: 'Memory' }).getByRole('button', { name: 'Edit' }).click();
  await page.getByRole('dialog', { name: 'Memory' }).getByLabel('Content').waitFor();
  expect(await axeViolations(page)).toEqual([]);
  await page.goto(`${server.url}/keys`);
  await page.getByRole('button', { name: 'Create key' }).click();
  await page.getByRole('dialog').getByLabel('Name').waitFor();
  expect(await axeViolations(page)).toEqual([]);
  const signedOut = await browser.newContext();
  const login = await signedOut.newPage();
  await login.goto(`${server.url}/login`);
  expect(await axeViolations(login)).toEqual([]);
  await signedOut.close();
  await context.close();
});
