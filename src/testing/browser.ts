import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`); never a browser downloaded by Playwright. */
export const CHROMIUM_PATH = process.env.CAIRN_TEST_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Flags for a headless Chromium on a machine with no internet: without the background-networking ones it
 * keeps trying (and failing) to reach Google's hosts; --no-sandbox because CI runs as root.
 */
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface TestBrowser {
  readonly browser: Browser;
  /** A fresh context (own cookies) per call. */
  newContext(options?: BrowserContextOptions): Promise<BrowserContext>;
  close(): Promise<void>;
}

/** Launches Debian Chromium through playwright-core; fails with an install hint when it is missing. */
export async function launchBrowser(): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium not found at ${CHROMIUM_PATH}: install it with 'apt-get install -y chromium' (.ci/run does this)`);
  }
  // Playwright gives each launch its own empty temporary profile and removes it on close.
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: ARGS, headless: true });
  return {
    browser,
    newContext: (options) => browser.newContext(options),
    async close() {
      await browser.close();
    },
  };
}

/**
 * Approves an OAuth consent page and waits until the browser has landed on the client's redirect URI and
 * loaded it, as a person sees "You can close this window" before closing it.
 *
 * Waiting matters: closing a page or context while Chromium commits a navigation can hang for ever
 * (Chromium acknowledges the close and drops it; microsoft/playwright#42068, crbug 536385539). The
 * callback server hears the redirect before the browser commits it, so "the code arrived" is not "the
 * page is settled": the dashboard's end-to-end test hung in about one run in five until it waited here.
 */
export async function approveConsent(page: Page, redirectUri: string): Promise<void> {
  await Promise.all([
    page.waitForURL((u) => u.href.startsWith(redirectUri), { waitUntil: 'load' }),
    page.click('button[name=decision][value=approve]'),
  ]);
}
