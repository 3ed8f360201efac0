import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { runCairn } from '../../src/testing/cairn-process.js';
import { runSuite, type SuiteRun } from './suite.js';
import type { ConformanceTools } from './tools.js';

/**
 * The suite's `authorization` mode: it acts as an OAuth client of Cairn's authorization server. Two
 * scenarios run: `authorization-server-metadata-endpoint` (issuer byte-identical to --url, S256 advertised,
 * a WARNING unless client_id_metadata_document_supported is true) and `authorization-code-grant` (it prints
 * an authorize URL and waits for the redirect on http://127.0.0.1:<port>/callback, then redeems the code
 * with PKCE and checks the token response). A person would open the URL; here headless Chromium does,
 * logging in and approving consent on Cairn's own pages, so the flow is the real one end to end.
 *
 * What the pages must offer (the selectors below are the whole contract):
 * - login: a form with `input[name=email]`, `input[name=password]` and a submit button;
 * - consent: a submit button `name="decision" value="approve"`.
 * Any other page on the way (an error page, a login that comes back) fails the run with that page's text.
 */
export interface AuthorizationTarget {
  /** The issuer, byte for byte as in the metadata (Cairn: config.http.publicUrl). */
  readonly issuer: string;
  /** A public client registered with redirect URI http://127.0.0.1:<port>/callback. */
  readonly clientId: string;
  /** The suite's callback port. */
  readonly port: number;
  /** The resource the token is for (Cairn: `${publicUrl}/mcp`). */
  readonly resource: string;
  /** The account the browser logs in with. */
  readonly login: { readonly email: string; readonly password: string };
}

export interface AuthorizationOutcome {
  readonly run: SuiteRun;
  /** Every reason this mode did not pass; empty when it passed. */
  readonly problems: string[];
}

/** Debian's Chromium, never a browser build downloaded by Playwright (there is no such download here). */
export const CHROMIUM_PATH = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
/** What the suite must report for this mode to pass: each check SUCCESS, nothing else. */
const REQUIRED_CHECKS = ['authorization-server-metadata', 'authorization-server-metadata-cimd', 'authorization-code-grant'];
const BROWSER_STEP_MS = 15_000;

export const LOGIN_SELECTORS = {
  email: 'form input[name="email"]',
  password: 'form input[name="password"]',
  submit: 'form:has(input[name="password"]) :is(button:not([type]), button[type="submit"], input[type="submit"])',
  approve: ':is(button, input)[name="decision"][value="approve"]',
} as const;

/** RFC 8414 metadata of the issuer, or an error that says the authorization server is not there yet. */
export async function fetchAuthorizationServerMetadata(issuer: string): Promise<Record<string, unknown>> {
  const url = `${issuer}/.well-known/oauth-authorization-server`;
  const response = await fetch(url, { headers: { accept: 'application/json' } }).catch((err: Error) => {
    throw new Error(`cannot reach ${url}: ${err.message}`);
  });
  if (response.status !== 200) {
    throw new Error(`${url} answered ${response.status}: the authorization server is not there (yet), so authorization mode cannot run`);
  }
  return (await response.json()) as Record<string, unknown>;
}

/**
 * Registers the suite's public client through the authorization server's own dynamic client registration
 * endpoint (RFC 7591), exactly as an MCP client without a CIMD URL would: `token_endpoint_auth_method:
 * none`, one loopback redirect URI, `application_type: native`. Returns its client_id.
 */
export async function registerPublicClient(metadata: Record<string, unknown>, port: number): Promise<string> {
  const endpoint = metadata.registration_endpoint;
  if (typeof endpoint !== 'string') {
    throw new Error('the authorization server metadata has no registration_endpoint: register a public client with redirect URI ' + `http://127.0.0.1:${port}/callback yourself and pass --client-id`);
  }
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({
      client_name: 'MCP conformance suite',
      redirect_uris: [`http://127.0.0.1:${port}/callback`],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      application_type: 'native',
    }),
  });
  const body = (await response.json().catch(() => ({}))) as { client_id?: unknown };
  if (response.status !== 201 || typeof body.client_id !== 'string') {
    throw new Error(`client registration at ${endpoint} answered ${response.status}: ${JSON.stringify(body)}`);
  }
  return body.client_id;
}

/**
 * Creates the account the browser logs in with, the way an administrator would: `cairn user create --json`
 * prints a one-time set-password link (`setupLink.url`, on the public URL), and the password is set by
 * posting it to that link (`password`, `confirm`, with the Origin a browser would send). Needs the server
 * running, since the link is one of its pages.
 */
export async function createLoginUser(options: { cwd: string; env: NodeJS.ProcessEnv; origin: string; email: string; password: string }): Promise<void> {
  const created = await runCairn(['user', 'create', '--email', options.email, '--name', 'Conformance', '--json'], { cwd: options.cwd, env: options.env });
  if (created.code !== 0) throw new Error(`cairn user create failed (${created.code}):\n${created.stdout}${created.stderr}`);
  const link = (JSON.parse(created.stdout) as { setupLink?: { url?: unknown } }).setupLink?.url;
  if (typeof link !== 'string') throw new Error(`cairn user create --json printed no setupLink.url to set a password with:\n${created.stdout}`);
  const response = await fetch(link, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: options.origin },
    body: new URLSearchParams({ password: options.password, confirm: options.password }).toString(),
  });
  if (response.status !== 303) throw new Error(`setting the password through the setup link answered ${response.status}: ${(await response.text()).slice(0, 300)}`);
}

/** Runs the suite's authorization mode against `target`, completing the login in headless Chromium. */
export async function runAuthorizationMode(tools: ConformanceTools, target: AuthorizationTarget, outputRoot: string): Promise<AuthorizationOutcome> {
  const metadata = await fetchAuthorizationServerMetadata(target.issuer);
  const authorizationEndpoint = String(metadata.authorization_endpoint ?? '');
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`Chromium not found at ${CHROMIUM_PATH}: apt-get install -y chromium`);
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
  let login: Promise<void> | undefined;
  // If the browser cannot finish, no callback will ever come: stop the suite instead of letting it wait 5 minutes.
  const browserFailed = new AbortController();
  try {
    const run = await runSuite(
      tools,
      ['authorization', '--url', target.issuer, '--client-id', target.clientId, '--port', String(target.port), '--resource', target.resource],
      {
        outputRoot,
        label: 'authorization',
        signal: browserFailed.signal,
        // The suite prints the authorize URL on a line of its own; the browser takes it from there.
        onLine: (line) => {
          if (!login && authorizationEndpoint && line.startsWith(`${authorizationEndpoint}?`)) {
            login = completeAuthorization(browser, line.trim(), target);
            // Reported below with the suite's verdict; caught here so it is never an unhandled rejection.
            login.catch(() => browserFailed.abort());
          }
        },
      },
    );
    const problems = verdict(run);
    if (!login) problems.push(`the suite never printed an authorize URL starting with ${authorizationEndpoint}?`);
    else await login.catch((err: Error) => problems.push(`browser: ${err.message}`));
    return { run, problems };
  } finally {
    await browser.close();
  }
}

function verdict(run: SuiteRun): string[] {
  const problems: string[] = [];
  if (run.exitCode !== 0) problems.push(`the suite exited with ${run.exitCode}`);
  for (const id of REQUIRED_CHECKS) {
    const found = run.checks.filter((c) => c.id === id);
    if (found.length === 0) problems.push(`check ${id} did not run`);
    for (const c of found) if (c.status !== 'SUCCESS') problems.push(`${id}: ${c.status}${c.errorMessage ? ` (${c.errorMessage})` : ''}`);
  }
  for (const c of run.checks) {
    if (!REQUIRED_CHECKS.includes(c.id) && c.status !== 'SUCCESS' && c.status !== 'INFO') problems.push(`${c.id}: ${c.status}${c.errorMessage ? ` (${c.errorMessage})` : ''}`);
  }
  return problems;
}

/**
 * Opens the authorize URL in a fresh browser context and walks the pages until the browser lands on the
 * suite's callback: log in once, approve consent once. Anything else is an error carrying the page's text.
 */
async function completeAuthorization(browser: Browser, authorizeUrl: string, target: AuthorizationTarget): Promise<void> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const callback = `http://127.0.0.1:${target.port}/callback`;
  const arrived = () => page.url().startsWith(callback);
  let loggedIn = false;
  let approved = false;
  try {
    await page.goto(authorizeUrl);
    const deadline = Date.now() + 4 * BROWSER_STEP_MS;
    while (!arrived()) {
      if (Date.now() > deadline) throw new Error(`no callback after login and consent; stuck at ${page.url()}: ${await pageText(page)}`);
      if (await page.locator(LOGIN_SELECTORS.email).isVisible()) {
        if (loggedIn) throw new Error(`the login form came back after submitting it (${page.url()}): ${await pageText(page)}`);
        loggedIn = true;
        await page.locator(LOGIN_SELECTORS.email).fill(target.login.email);
        await page.locator(LOGIN_SELECTORS.password).fill(target.login.password);
        await submitAndWait(page, LOGIN_SELECTORS.submit);
      } else if (await page.locator(LOGIN_SELECTORS.approve).isVisible()) {
        if (approved) throw new Error(`the consent page came back after approving (${page.url()}): ${await pageText(page)}`);
        approved = true;
        await submitAndWait(page, LOGIN_SELECTORS.approve);
      } else {
        await page.waitForTimeout(100);
      }
    }
    if (!approved) throw new Error('reached the callback without a consent page: Cairn must ask before granting a new client');
  } finally {
    await context.close();
  }
}

async function submitAndWait(page: Page, selector: string): Promise<void> {
  const navigated = page.waitForEvent('framenavigated', { predicate: (frame) => frame === page.mainFrame(), timeout: BROWSER_STEP_MS });
  await page.locator(selector).first().click();
  await navigated;
  await page.waitForLoadState('load', { timeout: BROWSER_STEP_MS }).catch(() => undefined);
}

async function pageText(page: Page): Promise<string> {
  const text = await page.locator('body').innerText({ timeout: 1_000 }).catch(() => '');
  return text.replace(/\s+/g, ' ').trim().slice(0, 400) || '(empty page)';
}
