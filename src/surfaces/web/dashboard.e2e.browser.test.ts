import { Client, StreamableHTTPClientTransport, UnauthorizedError } from '@modelcontextprotocol/client';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { approveConsent, launchBrowser, type TestBrowser } from '../../testing/browser.js';
import { pickOption, signIn, watchPage, type PageProblems } from '../../testing/dashboard-browser.js';
import { startCallbackServer, startLiveServer, type CallbackServer, type LiveServer } from '../../testing/live-server.js';
import { InMemoryOAuthClient } from '../../testing/oauth-test-client.js';

/**
 * The acceptance test of the dashboard (issue 4), one person's first hour with Cairn, in Chromium against a
 * real server and with the official MCP SDK client as the agent: first-run setup of the administrator; a key
 * created in the dashboard and used by the MCP client; its memories appear; search and filter; edit; delete
 * with undo; revoking the key cuts the client off; an OAuth client authorised through the consent page and
 * revoked from Connected apps; signing out other sessions; the admin's user list. Each step checks the
 * server's side too (what the MCP client sees), not only what the page shows.
 */

const ADMIN = { name: 'Ada Admin', email: 'ada@example.com', password: 'correct horse battery staple' };
const OTHER = { email: 'grace@example.com', password: 'another horse battery staple' };

let server: LiveServer;
let browser: TestBrowser;
let callback: CallbackServer;
/** The administrator's signed-in browser, kept across the steps. */
let context: BrowserContext;
let page: Page;
let watch: PageProblems;

beforeAll(async () => {
  server = await startLiveServer();
  browser = await launchBrowser();
  callback = await startCallbackServer();
}, 60_000);

afterAll(async () => {
  await context?.close();
  await callback?.close();
  await browser?.close();
  await server?.close();
});

function textOf(result: unknown): string {
  const content = (result as { content?: { type: string; text?: string }[] }).content ?? [];
  return content.map((c) => c.text ?? '').join('\n');
}

async function keyClient(key: string): Promise<Client> {
  const client = new Client({ name: 'cairn-dashboard-e2e', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(server.mcpUrl), { requestInit: { headers: { authorization: `Bearer ${key}` } } }));
  return client;
}

async function go(path: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: path, exact: true }).click();
}

/** The memory row (the page marks each with data-memory-row) whose text contains `text`. */
function memoryRow(text: string): Locator {
  return page.locator('[data-memory-row]').filter({ hasText: text });
}

/** Confirms a ConfirmButton's dialog (its confirm button has the action's name). */
async function confirm(name: string | RegExp): Promise<void> {
  await page.getByRole('dialog').getByRole('button', { name }).click();
  await page.getByRole('dialog').waitFor({ state: 'detached' });
}

describe('an administrator’s first hour with the dashboard', () => {
  let key = '';
  let agent: Client;

  test('first-run setup creates the administrator, whose empty dashboard says how to connect a client', async () => {
    const link = await server.runtime.services.accounts.firstAdminLink();
    context = await browser.newContext();
    page = await context.newPage();
    watch = watchPage(page, server.url);
    await page.goto(link!);
    await page.getByLabel('Name').fill(ADMIN.name);
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password', { exact: true }).fill(ADMIN.password);
    await page.getByLabel('Password again').fill(ADMIN.password);
    await Promise.all([page.waitForURL((u) => u.pathname === '/login'), page.getByRole('button', { name: 'Create administrator' }).click()]);
    await page.getByRole('link', { name: 'Open the dashboard' }).click();
    await page.waitForURL((u) => u.pathname === '/memories');
    const connect = page.getByRole('main').getByRole('link', { name: /connect a client/i }).first();
    await connect.waitFor();
    expect(await page.getByRole('main').textContent()).toContain(server.mcpUrl);
  });

  test('a key created in the dashboard is shown once and works for the MCP SDK client, whose memories appear', async () => {
    await go('API keys');
    await page.getByRole('button', { name: 'Create key' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Name').fill('e2e laptop');
    await dialog.getByRole('button', { name: 'Create', exact: true }).click();
    await dialog.getByText(/cairn_sk_/).first().waitFor();
    key = ((await dialog.locator('code').filter({ hasText: /^cairn_sk_/ }).first().textContent()) ?? '').trim();
    expect(key).toMatch(/^cairn_sk_/);
    await dialog.getByRole('button', { name: 'Done' }).click();
    await dialog.waitFor({ state: 'detached' });
    // Shown once: the list has the prefix, never the key.
    await page.getByText('e2e laptop').first().waitFor();
    expect(await page.content()).not.toContain(key);

    agent = await keyClient(key);
    for (const text of ['The e2e team meets on Fridays in room Kepler.', 'The deploy freeze starts on 20 December.', 'Lunch orders go to the Thai place on Mondays.']) {
      const added = await agent.callTool({ name: 'add_memories', arguments: { text } });
      expect(added.isError).toBeFalsy();
    }
    // A second app (another key, made outside the dashboard) writes too, for the app filter.
    const other = await server.runtime.services.apiKeys.create(
      { userId: (await server.runtime.services.users.byEmail(ADMIN.email)).id, workspaceId: (await me()).workspace.id },
      { name: 'e2e desktop', scopes: ['memories:read', 'memories:write'], expiresAt: null },
      { kind: 'cli', credentialId: null },
    );
    const desktop = await keyClient(other.key);
    expect((await desktop.callTool({ name: 'add_memories', arguments: { text: 'Kepler is also the name of the staging cluster.' } })).isError).toBeFalsy();
    await desktop.close();

    await go('Memories');
    await memoryRow('room Kepler').waitFor();
    expect(await memoryRow('room Kepler').textContent()).toContain('e2e laptop');
    expect(await memoryRow('staging cluster').textContent()).toContain('e2e desktop');
  });

  test('search and filter narrow the list', async () => {
    await page.getByLabel('Search memories').fill('Kepler');
    await expect.poll(() => page.locator('[data-memory-row]').count()).toBe(2);
    await pickOption(page, 'App', 'e2e desktop');
    await expect.poll(() => page.locator('[data-memory-row]').count()).toBe(1);
    expect(await page.locator('[data-memory-row]').first().textContent()).toContain('staging cluster');
    await pickOption(page, 'App', 'All apps');
    await page.getByLabel('Search memories').fill('');
    await expect.poll(() => page.locator('[data-memory-row]').count()).toBe(4);
  });

  test('an edit in the dashboard is what the agent reads back', async () => {
    await memoryRow('room Kepler').click();
    await page.getByRole('button', { name: 'Edit' }).first().click();
    const content = page.getByLabel('Content');
    await content.fill('The e2e team meets on Fridays in room Galileo.');
    await page.getByRole('button', { name: 'Save' }).click();
    await memoryRow('room Galileo').waitFor();
    await page.keyboard.press('Escape');
    expect(textOf(await agent.callTool({ name: 'search_memory', arguments: { query: 'Galileo' } }))).toContain('room Galileo');
  });

  test('a delete can be undone for a few seconds; after that the agent no longer finds the memory', async () => {
    await memoryRow('deploy freeze').getByRole('button', { name: 'Delete' }).click();
    await memoryRow('deploy freeze').waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Undo' }).click();
    // The offer closes (its exit animation may keep it in the page a moment), and the memory is back.
    await page.getByRole('button', { name: 'Undo' }).waitFor({ state: 'detached' });
    await memoryRow('deploy freeze').waitFor();
    expect(textOf(await agent.callTool({ name: 'search_memory', arguments: { query: 'deploy freeze' } }))).toContain('20 December');

    await memoryRow('Thai place').getByRole('button', { name: 'Delete' }).click();
    await memoryRow('Thai place').waitFor({ state: 'detached' });
    const undo = page.getByRole('button', { name: 'Undo' });
    await undo.waitFor();
    const offered = Date.now();
    await undo.waitFor({ state: 'detached', timeout: 15_000 });
    // Offered for a few seconds, then gone: the delete stands.
    expect(Date.now() - offered).toBeGreaterThan(3000);
    expect(textOf(await agent.callTool({ name: 'search_memory', arguments: { query: 'Thai lunch orders' } }))).not.toContain('Thai place');
  });

  test('revoking the key in the dashboard cuts the MCP client off', async () => {
    await go('API keys');
    const row = page.getByRole('row').filter({ hasText: 'e2e laptop' }).or(page.locator('[data-key-row]').filter({ hasText: 'e2e laptop' })).first();
    await row.getByRole('button', { name: 'Revoke' }).click();
    await confirm(/revoke/i);
    await row.getByText(/revoked/i).first().waitFor();
    await expect(agent.callTool({ name: 'search_memory', arguments: { query: 'Galileo' } })).rejects.toThrow();
    await agent.close().catch(() => undefined);
  });

  test('an OAuth client authorised through the consent page shows in Connected apps, and revoking it there cuts it off', async () => {
    const provider = new InMemoryOAuthClient(callback.redirectUri);
    const client = new Client({ name: 'cairn-e2e', version: '1.0.0' });
    const first = new StreamableHTTPClientTransport(new URL(server.mcpUrl), { authProvider: provider });
    await expect(client.connect(first)).rejects.toBeInstanceOf(UnauthorizedError);
    const arrived = callback.next();
    // The same browser: the person is signed in, so the consent page comes straight away.
    const consent = await context.newPage();
    await consent.goto(provider.authorizationUrls.at(-1)!.href);
    expect(await consent.content()).toContain('Cairn e2e client');
    await approveConsent(consent, callback.redirectUri);
    const query = await arrived;
    await consent.close();
    await first.finishAuth(query);
    await client.connect(new StreamableHTTPClientTransport(new URL(server.mcpUrl), { authProvider: provider }));
    expect(textOf(await client.callTool({ name: 'search_memory', arguments: { query: 'Galileo' } }))).toContain('Galileo');

    await go('Connected apps');
    // The authorised-apps row (the client's app also has a row in "What each app may do").
    const app = page.locator('[data-connection-row]').filter({ hasText: 'Cairn e2e client' }).first();
    await app.waitFor();
    expect(await app.textContent()).toContain('127.0.0.1');
    await app.getByRole('button', { name: /revoke|disconnect/i }).click();
    await confirm(/revoke|disconnect/i);
    await app.waitFor({ state: 'detached' });
    await expect(client.callTool({ name: 'search_memory', arguments: { query: 'Galileo' } })).rejects.toThrow();
    await client.close().catch(() => undefined);
  });

  test('“Sign out other sessions” ends the session of another browser and keeps this one', async () => {
    const elsewhere = await browser.newContext();
    const other = await elsewhere.newPage();
    await signIn(other, server.url, ADMIN.email, ADMIN.password);
    await go('Sessions');
    await page.getByText('This browser').first().waitFor();
    await page.getByRole('button', { name: 'Sign out other sessions' }).click();
    await confirm(/sign out/i);
    await other.goto(`${server.url}/keys`);
    await other.waitForURL((u) => u.pathname === '/login');
    await elsewhere.close();
    await go('API keys');
    await page.getByText('e2e laptop').first().waitFor();
  });

  test('the administrator sees every user with their memory count', async () => {
    await server.createPerson(OTHER.email, OTHER.password);
    await go('Admin');
    const ada = page.locator('[data-user-row]').filter({ hasText: ADMIN.email });
    await ada.waitFor();
    // Ada's agents wrote four memories and one was deleted: three count.
    expect(await ada.locator('[data-memory-count]').textContent()).toBe('3');
    expect(await page.locator('[data-user-row]').filter({ hasText: OTHER.email }).locator('[data-memory-count]').textContent()).toBe('0');
    watch.allow('/dashboard/api/v1/me', 401);
    expect(watch.problems).toEqual([]);
  });
});

async function me(): Promise<{ workspace: { id: string } }> {
  const res = await page.request.get(`${server.url}/dashboard/api/v1/me`);
  return (await res.json()) as { workspace: { id: string } };
}
