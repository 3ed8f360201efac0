import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launchBrowser, type TestBrowser } from '../../testing/browser.js';
import { phoneContext, pickOption, signIn, watchPage } from '../../testing/dashboard-browser.js';
import { SEED_ADMIN, seedDashboard, type Seeded } from '../../testing/dashboard-seed.js';
import { startLiveServer, type LiveServer } from '../../testing/live-server.js';

/**
 * The Connected apps and Sessions pages in Chromium against a real, seeded Cairn: revoking an authorised
 * app (and the API agreeing), a client-credentials client created, rotated and deleted with its secrets
 * checked against the real token endpoint, signing out other browsers (which then land on /login), and
 * both pages at phone width with no page overflow, console error, CSP violation or failed request.
 */

let server: LiveServer;
let browser: TestBrowser;
let seeded: Seeded;

beforeAll(async () => {
  server = await startLiveServer();
  seeded = await seedDashboard(server, { apps: true });
  browser = await launchBrowser();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** A real client_credentials exchange at the token endpoint, as a server-side job would do it. */
async function tokenStatus(clientId: string, secret: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${server.url}/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'memories:read', resource: `${server.url}/mcp` }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** The secret dialog's client id and secret, then "Done". */
async function readSecretDialog(page: Page, title: string): Promise<{ clientId: string; secret: string }> {
  const dialog = page.getByRole('dialog', { name: title });
  await dialog.waitFor();
  await expect(dialog.getByText('This secret will not be shown again', { exact: false }).isVisible()).resolves.toBe(true);
  const clientId = (await dialog.getByTestId('client-id').textContent())!.trim();
  const secret = (await dialog.getByTestId('client-secret').textContent())!.trim();
  await dialog.getByRole('button', { name: 'Done' }).click();
  await dialog.waitFor({ state: 'detached' });
  return { clientId, secret };
}

describe('Connected apps', () => {
  test('shows the authorised app with its redirect host; revoking it in the dialog ends its access', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const watch = watchPage(page, server.url);
    await signIn(page, server.url, SEED_ADMIN.email, SEED_ADMIN.password, '/apps');
    await page.getByRole('heading', { name: 'Authorised apps' }).waitFor();

    const row = page.locator('[data-connection-row]', { hasText: 'Claude Desktop' });
    await row.waitFor();
    expect(await row.getAttribute('data-status')).toBe('active');
    expect(await row.textContent()).toMatch(/127\.0\.0\.1:\d+/);
    expect(await row.textContent()).toContain('read');
    expect(await row.textContent()).toContain('write');
    const grantId = (await row.getAttribute('data-connection-row'))!;

    await row.getByRole('button', { name: 'Revoke' }).click();
    const dialog = page.getByRole('dialog', { name: 'Revoke Claude Desktop?' });
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain('loses access at once');
    expect(await dialog.textContent()).toContain('authorised again');
    await dialog.getByRole('button', { name: 'Revoke access' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.locator(`[data-connection-row="${grantId}"]`).waitFor({ state: 'detached' });
    await page.getByText('Claude Desktop no longer has access.').waitFor();

    const api = await page.request.get(`${server.url}/dashboard/api/v1/connections`);
    expect(api.status()).toBe(200);
    const { connections } = (await api.json()) as { connections: { id: string; status: string; revokedAt: string | null }[] };
    expect(connections.find((c) => c.id === grantId)).toMatchObject({ status: 'revoked', revokedAt: expect.any(String) });

    // Revoked ones are behind the switch, greyed and without a Revoke button.
    await page.getByRole('switch', { name: /Show revoked/ }).check();
    const revoked = page.locator(`[data-connection-row="${grantId}"]`);
    await revoked.waitFor();
    expect(await revoked.getAttribute('data-status')).toBe('revoked');
    expect(await revoked.getByRole('button', { name: 'Revoke' }).count()).toBe(0);
    // With no active app left, the empty state points to /connect.
    await page.getByRole('switch', { name: /Show revoked/ }).uncheck();
    await page.getByText('No app is connected right now.').waitFor();
    expect(await page.getByRole('region', { name: 'Authorised apps' }).getByRole('link', { name: 'Connect a client' }).getAttribute('href')).toBe('/connect');

    expect(watch.problems).toEqual([]);
    await context.close();
  });

  test('pausing an app stops its key at once, read only lets it read but not write, and full access restores it', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const watch = watchPage(page, server.url);
    await signIn(page, server.url, SEED_ADMIN.email, SEED_ADMIN.password, '/apps');
    const section = page.getByRole('region', { name: 'What each app may do' });
    await section.waitFor();
    const key = seeded.keys.cursor;
    const asCursor = (method: 'GET' | 'POST') =>
      fetch(`${server.url}/api/v1/memories`, {
        method,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        ...(method === 'POST' ? { body: JSON.stringify({ content: `cursor note ${Date.now()} ${Math.random()}` }) } : {}),
      }).then(async (r) => ({ status: r.status, code: ((await r.json()) as { error?: { code: string } }).error?.code }));
    expect(await asCursor('GET')).toMatchObject({ status: 200 });
    // The dashboard's own row has no control: it cannot be paused.
    expect(await section.locator('[data-app-row]', { hasText: 'Dashboard' }).textContent()).toContain('Always full access');

    const row = section.locator('[data-app-row]', { hasText: 'cursor' });
    await pickOption(page, 'Access for cursor', 'Paused');
    await page.getByText('cursor is paused: it can neither read nor write.').waitFor();
    await expect.poll(() => row.getAttribute('data-access')).toBe('paused');
    expect(await asCursor('GET')).toEqual({ status: 403, code: 'APP_PAUSED' });
    expect(await asCursor('POST')).toEqual({ status: 403, code: 'APP_PAUSED' });
    // Another app of the workspace is untouched.
    const other = await fetch(`${server.url}/api/v1/memories`, { headers: { authorization: `Bearer ${seeded.keys['claude-code']}` } });
    expect(other.status).toBe(200);

    await pickOption(page, 'Access for cursor', 'Read only');
    await expect.poll(() => row.getAttribute('data-access')).toBe('read_only');
    expect(await asCursor('GET')).toMatchObject({ status: 200 });
    expect(await asCursor('POST')).toEqual({ status: 403, code: 'APP_READ_ONLY' });

    await pickOption(page, 'Access for cursor', 'Full access');
    await expect.poll(() => row.getAttribute('data-access')).toBe('full');
    expect(await asCursor('POST')).toMatchObject({ status: 201 });
    expect(watch.problems).toEqual([]);
    await context.close();
  });

  test('a client-credentials client: created in the dialog, its secret works at the token endpoint; rotating refuses the old one; deleting ends it', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const watch = watchPage(page, server.url);
    await signIn(page, server.url, SEED_ADMIN.email, SEED_ADMIN.password, '/apps');
    await page.locator('[data-client-row]', { hasText: 'nightly-import' }).waitFor();
    expect(await page.getByText(`${server.url}/token`).first().isVisible()).toBe(true);

    await page.getByRole('button', { name: 'New client' }).click();
    const form = page.getByRole('dialog', { name: 'New client-credentials client' });
    await form.waitFor();
    expect(await form.getByRole('checkbox', { name: /memories:read/ }).isChecked()).toBe(true);
    expect(await form.getByRole('checkbox', { name: /memories:write/ }).isChecked()).toBe(true);
    expect(await form.getByRole('checkbox', { name: /memories:delete/ }).isChecked()).toBe(false);
    await form.getByLabel('Name').fill('backup-job');
    await form.getByRole('button', { name: 'Create client' }).click();
    const created = await readSecretDialog(page, 'Client backup-job created');
    expect(created.secret.length).toBeGreaterThan(20);

    const first = await tokenStatus(created.clientId, created.secret);
    expect(first.status).toBe(200);
    expect(first.body.access_token).toEqual(expect.any(String));

    const row = page.locator(`[data-client-row="${created.clientId}"]`);
    await row.waitFor();
    expect(await row.textContent()).toContain('backup-job');
    expect(await row.textContent()).toContain(created.clientId);
    // The secret is not on the page any more, and not in the browser's storage.
    expect(await page.content()).not.toContain(created.secret);
    expect(await page.evaluate(() => JSON.stringify({ ...window.localStorage }) + JSON.stringify({ ...window.sessionStorage }))).not.toContain(created.secret);

    await row.getByRole('button', { name: 'Rotate secret' }).click();
    const confirmRotate = page.getByRole('dialog', { name: 'Rotate the secret of backup-job?' });
    await confirmRotate.getByRole('button', { name: 'Rotate secret' }).click();
    const rotated = await readSecretDialog(page, 'New secret for backup-job');
    expect(rotated.clientId).toBe(created.clientId);
    expect(rotated.secret).not.toBe(created.secret);
    expect((await tokenStatus(created.clientId, created.secret)).status).toBe(401);
    expect((await tokenStatus(created.clientId, rotated.secret)).status).toBe(200);

    await row.getByRole('button', { name: 'Delete' }).click();
    const confirmDelete = page.getByRole('dialog', { name: 'Delete backup-job?' });
    await confirmDelete.getByRole('button', { name: 'Delete client' }).click();
    await row.waitFor({ state: 'detached' });
    expect((await tokenStatus(created.clientId, rotated.secret)).status).toBe(401);
    const api = (await (await page.request.get(`${server.url}/dashboard/api/v1/oauth-clients`)).json()) as { clients: { id: string }[] };
    expect(api.clients.map((c) => c.id)).not.toContain(created.clientId);

    expect(watch.problems).toEqual([]);
    await context.close();
  });
});

describe('Sessions', () => {
  test('lists this browser and the others; "Sign out other sessions" signs the other browser out', async () => {
    const other = await browser.newContext();
    const otherPage = await other.newPage();
    await signIn(otherPage, server.url, SEED_ADMIN.email, SEED_ADMIN.password, '/memories');

    const context = await browser.newContext();
    const page = await context.newPage();
    const watch = watchPage(page, server.url);
    await signIn(page, server.url, SEED_ADMIN.email, SEED_ADMIN.password, '/sessions');
    const rows = page.locator('[data-session-row]');
    await rows.first().waitFor();
    expect(await rows.count()).toBeGreaterThanOrEqual(2);
    expect(await page.getByText('This browser', { exact: true }).count()).toBe(1);
    const current = page.locator('[data-current="true"]');
    expect(await current.textContent()).toContain('This browser');
    expect(await current.getByRole('button', { name: 'Sign out' }).count()).toBe(0);
    // Every other session has its own Sign out; this one is signed out from the user menu.
    expect(await page.locator('[data-session-row]:not([data-current])').getByRole('button', { name: 'Sign out', exact: true }).count()).toBe((await rows.count()) - 1);
    expect(await page.getByText('Last active', { exact: false }).first().isVisible()).toBe(true);
    const others = (await rows.count()) - 1;

    await page.getByRole('button', { name: 'Sign out other sessions' }).click();
    const dialog = page.getByRole('dialog', { name: 'Sign out every other session?' });
    await dialog.getByRole('button', { name: 'Sign out others' }).click();
    await page.getByText(`Signed out ${others} other session${others === 1 ? '' : 's'}`).waitFor();
    await expect.poll(() => rows.count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Sign out other sessions' }).isDisabled()).toBe(true);
    await page.getByText('This is the only browser signed in as you.').waitFor();

    await otherPage.goto(`${server.url}/memories`);
    await otherPage.waitForURL((u) => u.pathname === '/login', { timeout: 10_000 });

    // The API agrees: only this browser is left.
    const api = (await (await page.request.get(`${server.url}/dashboard/api/v1/sessions`)).json()) as { sessions: { current: boolean }[] };
    expect(api.sessions).toEqual([expect.objectContaining({ current: true })]);

    expect(watch.problems).toEqual([]);
    await other.close();
    await context.close();
  });
});

describe('at phone width', () => {
  test('both pages fit 390px (rows become cards) and render cleanly', async () => {
    const context = await phoneContext(browser);
    const page = await context.newPage();
    const watch = watchPage(page, server.url);
    await signIn(page, server.url, SEED_ADMIN.email, SEED_ADMIN.password, '/apps');
    const card = page.locator('[data-client-row]').first();
    await card.waitFor();
    // Rows become cards at phone width: no table to scroll, the actions in reach.
    expect(await page.locator('table').count()).toBe(0);
    expect(await card.getByRole('button', { name: 'Rotate secret' }).isVisible()).toBe(true);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    expect(await page.getByRole('button', { name: 'New client' }).isVisible()).toBe(true);

    await page.goto(`${server.url}/sessions`);
    await page.locator('[data-session-row][data-current="true"]').getByText('This browser').waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    expect(await page.getByRole('button', { name: 'Sign out other sessions' }).isVisible()).toBe(true);

    expect(watch.problems).toEqual([]);
    await context.close();
  });
});
