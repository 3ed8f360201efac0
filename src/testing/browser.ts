import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions } from 'playwright-core';

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
