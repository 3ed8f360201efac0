import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launchBrowser, type TestBrowser } from '../../testing/browser.js';
import { phoneContext, pickOption, signIn, watchPage } from '../../testing/dashboard-browser.js';
import { SEED_ADMIN, SEED_OTHER, seedDashboard } from '../../testing/dashboard-seed.js';
import { startLiveServer, type LiveServer } from '../../testing/live-server.js';

/**
 * Connect a client, Activity and Admin in Chromium against a real Cairn with the shared seed: every client's
 * set-up names this server, a key made on the page works; the audit log shows the seeded writes, filters by
 * app and credential, and charts them; the administrator disables, enables and resets the password of a
 * person, each checked by what that person's own browser can then do; a non-administrator has no Admin.
 */

let server: LiveServer;
let browser: TestBrowser;

beforeAll(async () => {
  server = await startLiveServer();
  browser = await launchBrowser();
  await seedDashboard(server, { apps: true });
  // The access log is written in batches.
  await server.runtime.services.flush();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('Connect a client', () => {
  test('each client’s set-up names this server, and a key made for Claude Code is in its snippet and works', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const watch = watchPage(page, server.url);
    await signIn(page, server.url, SEED_ADMIN.email, SEED_ADMIN.password, '/connect');
    const tabs = ['Claude.ai', 'ChatGPT', 'Claude Code', 'Claude Desktop (mcp-remote)', 'Cursor', 'Other MCP clients and REST'];
    for (const name of tabs) {
      await page.getByRole('tab', { name }).click();
      const panel = page.getByRole('tabpanel');
      await panel.getByRole('heading', { name }).waitFor();
      expect(await panel.locator('pre').first().textContent()).toContain(server.mcpUrl);
    }
    await page.getByRole('tab', { name: 'Cursor' }).click();
    expect(await page.getByRole('tabpanel').textContent()).toContain('<your API key>');

    await page.getByRole('tab', { name: 'Claude Code' }).click();
    await page.getByRole('button', { name: 'Create a key for Claude Code' }).click();
    const snippet = page.getByRole('tabpanel').locator('pre').filter({ hasText: 'cairn_sk_' });
    await snippet.waitFor();
    const key = /cairn_sk_[A-Za-z0-9_-]+/.exec((await snippet.textContent()) ?? '')?.[0] ?? '';
    expect(key).toMatch(/^cairn_sk_/);
    const res = await fetch(`${server.url}/api/v1/memories`, { headers: { authorization: `Bearer ${key}` } });
    expect(res.status).toBe(200);
    // The key is listed (by name, never itself) under API keys, and not kept anywhere in the browser.
    expect(await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }))).not.toContain(key);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'API keys', exact: true }).click();
    await page.locator('[data-key-row]').filter({ hasText: 'Claude Code' }).waitFor();
    expect(await page.content()).not.toContain(key);
    expect(watch.problems).toEqual([]);
    await context.close();
  });
});

describe('Activity', () => {
  test('shows the seeded writes with their app, filters by app and by credential, and charts events per day per app', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const watch = watchPage(page, server.url);
    await signIn(page, server.url, SEED_ADMIN.email, SEED_ADMIN.password, '/activity');
    const rows = page.locator('[data-activity-row]');
    await rows.first().waitFor();
    expect(await page.locator('[data-action="memory.create"]').count()).toBeGreaterThanOrEqual(8);
    expect(await page.locator('[data-action="memory.create"]').filter({ hasText: 'cursor' }).count()).toBe(3);
    expect(await page.locator('[data-action="oauth_grant.create"]').count()).toBe(1);

    await pickOption(page, 'App', 'cursor');
    await expect.poll(async () => (await rows.allTextContents()).every((t) => t.includes('cursor')) && (await rows.count()) > 0).toBe(true);
    expect(await rows.count()).toBeGreaterThanOrEqual(3);

    await page.getByRole('button', { name: 'Clear filters' }).click();
    await pickOption(page, 'Action', 'Memory written');
    await expect.poll(() => page.locator('[data-activity-row]:not([data-action="memory.create"])').count()).toBe(0);
    // Pressing a row's credential shows that credential's events only.
    const credential = page.locator('[data-action="memory.create"]').filter({ hasText: 'claude-code' }).first().getByRole('button', { name: /^key key_/ });
    await credential.click();
    await expect.poll(async () => (await rows.allTextContents()).every((t) => t.includes('claude-code'))).toBe(true);
    expect(await rows.count()).toBe(5);

    // The chart has bars, and the same numbers as a table.
    expect(await page.locator('[data-chart="daily"] .recharts-bar-rectangle').count()).toBeGreaterThan(0);
    await page.getByRole('switch', { name: 'Show as table' }).check();
    const table = page.getByRole('table', { name: /Events per day per app/ });
    await table.waitFor();
    const headers = await table.getByRole('columnheader').allTextContents();
    expect(headers).toEqual(expect.arrayContaining(['Day', 'claude-code', 'cursor']));
    expect(watch.problems).toEqual([]);
    await context.close();
  });

  test('Export downloads the workspace’s activity as NDJSON, oldest first, with the seeded writes', async () => {
    const context = await browser.newContext({ acceptDownloads: true });
    const page = await context.newPage();
    const watch = watchPage(page, server.url);
    await signIn(page, server.url, SEED_ADMIN.email, SEED_ADMIN.password, '/activity');
    await page.locator('[data-activity-row]').first().waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^cairn-activity-ws_[A-Za-z0-9_-]+-\d{4}-\d{2}-\d{2}\.ndjson$/);
    const path = await download.path();
    const lines = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { at: string; action: string; app: { name: string } | null });
    expect(lines.filter((l) => l.action === 'memory.create' && l.app?.name === 'cursor')).toHaveLength(3);
    const times = lines.map((l) => Date.parse(l.at));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(watch.problems).toEqual([]);
    await context.close();
  });
});

describe('Admin', () => {
  test('lists people with memory counts; disabling signs a person out, enabling lets them back, a reset link sets a new password', async () => {
    const grace = await browser.newContext();
    const gracePage = await grace.newPage();
    await signIn(gracePage, server.url, SEED_OTHER.email, SEED_OTHER.password);

    const context = await browser.newContext();
    const page = await context.newPage();
    const watch = watchPage(page, server.url);
    await signIn(page, server.url, SEED_ADMIN.email, SEED_ADMIN.password, '/admin');
    const row = (email: string) => page.locator('[data-user-row]').filter({ hasText: email });
    await row(SEED_ADMIN.email).waitFor();
    const counts = (await (await page.request.get(`${server.url}/dashboard/api/v1/admin/users`)).json()) as { users: { email: string; memoryCount: number }[] };
    const adaCount = counts.users.find((u) => u.email === SEED_ADMIN.email)!.memoryCount;
    expect(adaCount).toBe(8);
    expect(await row(SEED_ADMIN.email).locator('[data-memory-count]').textContent()).toBe('8');
    expect(await row(SEED_OTHER.email).locator('[data-memory-count]').textContent()).toBe('0');
    expect(await row(SEED_ADMIN.email).getByRole('button', { name: 'Disable' }).count()).toBe(0);

    await page.getByLabel('Filter people').fill('grace');
    await expect.poll(() => page.locator('[data-user-row]').count()).toBe(1);
    await page.getByLabel('Filter people').fill('');

    await row(SEED_OTHER.email).getByRole('button', { name: 'Disable' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Disable' }).click();
    await row(SEED_OTHER.email).getByText('Disabled').waitFor();
    await gracePage.goto(`${server.url}/memories`);
    await gracePage.waitForURL((u) => u.pathname === '/login');

    await row(SEED_OTHER.email).getByRole('button', { name: 'Enable' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Enable' }).click();
    await row(SEED_OTHER.email).getByText('Active').waitFor();
    await signIn(gracePage, server.url, SEED_OTHER.email, SEED_OTHER.password);

    await row(SEED_OTHER.email).getByRole('button', { name: 'Reset password' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Create link' }).click();
    const link = ((await page.locator('[data-reset-link]').textContent()) ?? '').trim();
    expect(link.startsWith(`${server.url}/setup`)).toBe(true);
    const fresh = await browser.newContext();
    const resetPage = await fresh.newPage();
    await resetPage.goto(link);
    const newPassword = 'a brand new horse battery staple';
    await resetPage.getByLabel('New password', { exact: true }).fill(newPassword);
    await resetPage.getByLabel('New password again').fill(newPassword);
    await resetPage.getByRole('button', { name: 'Set password' }).click();
    // Setting the password signs that browser in, and the link is used up.
    await resetPage.getByText('You are signed in to Cairn as').waitFor();
    expect((await fetch(link)).status).toBe(404);
    const again = await browser.newContext();
    await signIn(await again.newPage(), server.url, SEED_OTHER.email, newPassword);
    await again.close();
    const login = (password: string) =>
      fetch(`${server.url}/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: server.url },
        body: new URLSearchParams({ email: SEED_OTHER.email, password }),
        redirect: 'manual',
      }).then((r) => r.headers.get('set-cookie') ?? '');
    expect(await login(newPassword)).toContain('session_token=');
    expect(await login(SEED_OTHER.password)).not.toContain('session_token=');
    // Using the link ended grace's other sessions.
    await gracePage.goto(`${server.url}/memories`);
    await gracePage.waitForURL((u) => u.pathname === '/login');
    expect(watch.problems).toEqual([]);
    await fresh.close();
    await grace.close();
    await context.close();
  });

  test('a person who is not an administrator has no Admin page', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const person = await server.createPerson('bo@example.com', SEED_ADMIN.password);
    expect(person.user.id).toBeTruthy();
    await signIn(page, server.url, 'bo@example.com', SEED_ADMIN.password);
    expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin', exact: true }).count()).toBe(0);
    await page.goto(`${server.url}/admin`);
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    expect(await page.getByRole('main').textContent()).toMatch(/not found/i);
    const api = await page.request.get(`${server.url}/dashboard/api/v1/admin/users`);
    expect(api.status()).toBe(403);
    await context.close();
  });
});

describe('phone width', () => {
  test('Connect, Activity and Admin fit a 390 px screen', async () => {
    const context = await phoneContext(browser);
    const page = await context.newPage();
    const watch = watchPage(page, server.url);
    await signIn(page, server.url, SEED_ADMIN.email, SEED_ADMIN.password, '/connect');
    for (const [path, ready] of [
      ['/connect', 'pre'],
      ['/activity', '[data-activity-row]'],
      ['/admin', '[data-user-row]'],
    ] as const) {
      await page.goto(`${server.url}${path}`);
      await page.locator(ready).first().waitFor();
      expect(await page.evaluate(() => document.documentElement.scrollWidth), path).toBeLessThanOrEqual(390);
    }
    expect(watch.problems).toEqual([]);
    await context.close();
  });
});
