import type { BrowserContext, Page } from 'playwright-core';
import type { TestBrowser } from './browser.js';

/**
 * What the dashboard's browser tests share: signing in through the server's own /login page, and a record of
 * everything that went wrong in the page (console errors, uncaught exceptions, CSP violations, failed
 * requests) so a test can assert that a page rendered cleanly.
 */

/** Signs in through /login and waits for the app to load at `path` (default `/memories`). */
export async function signIn(page: Page, baseUrl: string, email: string, password: string, path = '/memories'): Promise<void> {
  await page.goto(`${baseUrl}/login?return_to=${encodeURIComponent(path)}`);
  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', password);
  await Promise.all([page.waitForURL((u) => u.pathname === path), page.click('form button[type=submit]:not(.secondary)')]);
  await page.getByRole('navigation').first().waitFor();
}

export interface PageProblems {
  /** Console errors, page errors, CSP reports and failed same-origin requests (4xx/5xx other than expected). */
  readonly problems: string[];
  /** Statuses to ignore for a URL path (e.g. a test that expects a 404). */
  allow(pathPrefix: string, status: number): void;
}

/** Starts recording a page's problems; call before navigating. */
export function watchPage(page: Page, baseUrl: string): PageProblems {
  const problems: string[] = [];
  const allowed: [string, number][] = [];
  page.on('console', (msg) => {
    // A failed request is also a console error; the response handler records it (with its path), or not when allowed.
    if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) problems.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('response', (res) => {
    const u = new URL(res.url());
    if (!res.url().startsWith(baseUrl) || res.status() < 400) return;
    if (allowed.some(([p, s]) => u.pathname.startsWith(p) && s === res.status())) return;
    problems.push(`http ${res.status()} ${res.request().method()} ${u.pathname}`);
  });
  return {
    problems,
    allow(pathPrefix, status) {
      allowed.push([pathPrefix, status]);
    },
  };
}

/** A context at phone width (390×844, touch), as the screenshots and the phone tests use. */
export async function phoneContext(browser: TestBrowser): Promise<BrowserContext> {
  return browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
}

/**
 * Chooses `option` in the Mantine Select labelled `label` (a combobox with a listbox) within `scope`: the page,
 * or a dialog whose selects list their options inside it.
 */
export async function pickOption(scope: Pick<Page, 'getByRole'>, label: string, option: string): Promise<void> {
  await scope.getByRole('combobox', { name: label, exact: true }).click();
  await scope.getByRole('option', { name: option, exact: true }).click();
}
