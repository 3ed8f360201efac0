import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launchBrowser, type TestBrowser } from '../../testing/browser.js';
import { phoneContext, pickOption, signIn, watchPage } from '../../testing/dashboard-browser.js';
import { SEED_ADMIN, seedDashboard, type Seeded } from '../../testing/dashboard-seed.js';
import { startLiveServer, type LiveServer } from '../../testing/live-server.js';

/**
 * The Memories and API keys pages in Chromium against a real Cairn with the shared seed (eight memories by
 * two keys, one archived): filters, the drawer's edit of content and metadata, bulk archive with undo,
 * restore from the archive, keyboard use, a list long enough to need more pages (and the virtualisation
 * that keeps the DOM small), and keys created with narrow scopes and an expiry, rotated with and without a
 * grace period, and revoked — each checked against what the key can really do over REST.
 */

let server: LiveServer;
let browser: TestBrowser;
let seeded: Seeded;

beforeAll(async () => {
  server = await startLiveServer();
  browser = await launchBrowser();
  seeded = await seedDashboard(server);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const rows = (page: Page): Locator => page.locator('[data-memory-row]');
const row = (page: Page, text: string): Locator => rows(page).filter({ hasText: text });

async function rest(method: string, path: string, key: string, body?: unknown): Promise<number> {
  const res = await fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  await res.arrayBuffer();
  return res.status;
}

async function memoriesOverRest(state = 'active'): Promise<{ id: string; content: string; metadata: Record<string, unknown>; state: string }[]> {
  const res = await fetch(`${server.url}/api/v1/memories?state=${state}&limit=200`, { headers: { authorization: `Bearer ${seeded.keys['claude-code']}` } });
  return ((await res.json()) as { memories: { id: string; content: string; metadata: Record<string, unknown>; state: string }[] }).memories;
}

describe('Memories', () => {
  test('filters by app, state and time; each row names its app; an empty result offers to clear the filters', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const watch = watchPage(page, server.url);
    await signIn(page, server.url, SEED_ADMIN.email, SEED_ADMIN.password);
    await expect.poll(() => rows(page).count()).toBe(7);
    expect(await row(page, 'api/v2').textContent()).toContain('cursor');
    expect(await row(page, 'pnpm').textContent()).toContain('claude-code');
    expect(await page.getByRole('main').textContent()).toContain('7 active · 1 archived · 0 deleted');

    await pickOption(page, 'App', 'cursor');
    await expect.poll(() => rows(page).count()).toBe(3);
    for (const text of await rows(page).allTextContents()) expect(text).toContain('cursor');

    await pickOption(page, 'App', 'All apps');
    await pickOption(page, 'State', 'Archived');
    await expect.poll(() => rows(page).count()).toBe(1);
    expect(await rows(page).first().textContent()).toContain('peanuts');

    await pickOption(page, 'State', 'Active');
    const listRequest = page.waitForRequest((r) => r.url().includes('/dashboard/api/v1/memories?') && r.url().includes('since='));
    await pickOption(page, 'Created', 'Last 24 hours');
    const since = Date.parse(new URL((await listRequest).url()).searchParams.get('since')!);
    expect(Math.abs(Date.now() - 24 * 3600_000 - since)).toBeLessThan(60_000);
    await expect.poll(() => rows(page).count()).toBe(7);

    await page.getByLabel('Search memories').fill('zeppelin');
    await page.getByText('No memories match').waitFor();
    await page.getByRole('button', { name: 'Clear search and filters' }).click();
    await expect.poll(() => rows(page).count()).toBe(7);
    expect(await page.getByLabel('Search memories').inputValue()).toBe('');
    expect(watch.problems).toEqual([]);
    await context.close();
  });

  test('the drawer edits content and metadata, refuses metadata that is not a JSON object, and is reachable by keyboard', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const watch = watchPage(page, server.url);
    await signIn(page, server.url, SEED_ADMIN.email, SEED_ADMIN.password);
    await row(page, 'api/v2').getByRole('button', { name: /api\/v2/ }).focus();
    await page.keyboard.press('Enter');
    const drawer = page.getByRole('dialog', { name: 'Memory' });
    await drawer.waitFor();
    expect(await drawer.textContent()).toContain('"project": "billing"');
    await drawer.getByRole('button', { name: 'Edit' }).click();
    await drawer.getByLabel('Metadata (JSON)').fill('["not", "an object"]');
    await drawer.getByRole('button', { name: 'Save' }).click();
    await drawer.getByText('Metadata must be a JSON object').waitFor();
    await drawer.getByLabel('Metadata (JSON)').fill('{"project": "billing", "owner": "finance"}');
    await drawer.getByLabel('Content').fill('Use the `api/v3` client for billing; v1 and v2 are deprecated.');
    await drawer.getByRole('button', { name: 'Save' }).click();
    await drawer.getByText('"owner": "finance"').waitFor();
    await row(page, 'api/v3').waitFor();
    const saved = (await memoriesOverRest()).find((m) => m.content.includes('api/v3'));
    expect(saved?.metadata).toEqual({ project: 'billing', owner: 'finance' });
    // The history shows the edit (text and metadata, through the dashboard) above the creation by the seeding key.
    const history = drawer.getByRole('region', { name: 'History' });
    await history.locator('[data-version="2"]').waitFor();
    expect(await history.locator('[data-version="2"]').textContent()).toMatch(/Changed: text, metadata.*Dashboard/);
    expect(await history.locator('[data-version="1"]').textContent()).toMatch(/Created.*cursor.*api\/v2/);
    await page.keyboard.press('Escape');
    await drawer.waitFor({ state: 'detached' });
    expect(watch.problems).toEqual([]);
    await context.close();
  });

  test('a selection is archived at once and comes back with Undo; an archived memory is restored from the archive', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const watch = watchPage(page, server.url);
    await signIn(page, server.url, SEED_ADMIN.email, SEED_ADMIN.password);
    await expect.poll(() => rows(page).count()).toBe(7);
    await row(page, 'pnpm').getByRole('checkbox', { name: 'Select memory' }).check();
    await row(page, 'Tuesdays').getByRole('checkbox', { name: 'Select memory' }).check();
    await page.getByText('2 selected').waitFor();
    await page.getByRole('button', { name: 'Archive selected' }).click();
    await expect.poll(() => rows(page).count()).toBe(5);
    await expect.poll(async () => (await memoriesOverRest('archived')).length).toBe(3);
    await page.getByRole('button', { name: 'Undo' }).click();
    await expect.poll(() => rows(page).count()).toBe(7);
    expect((await memoriesOverRest('archived')).map((m) => m.content)).toEqual([expect.stringContaining('peanuts')]);

    await pickOption(page, 'State', 'Archived');
    await row(page, 'peanuts').getByRole('button', { name: 'Restore' }).click();
    await expect.poll(() => rows(page).count()).toBe(0);
    await expect.poll(async () => (await memoriesOverRest()).some((m) => m.content.includes('peanuts'))).toBe(true);
    // Put the seed back as it was for the other tests.
    await page.getByRole('button', { name: 'Undo' }).click();
    await expect.poll(async () => (await memoriesOverRest('archived')).length).toBe(1);
    expect(watch.problems).toEqual([]);
    await context.close();
  });

  test('a long list loads further pages as it scrolls while the DOM holds only the rows on screen', async () => {
    const person = await server.createPerson('long@example.com', SEED_ADMIN.password);
    const { key } = await server.runtime.services.apiKeys.create(
      { userId: person.user.id, workspaceId: person.workspace.id },
      { name: 'bulk', scopes: ['memories:read', 'memories:write'], expiresAt: null },
      { kind: 'cli', credentialId: null },
    );
    const verified = await server.runtime.services.verifier.verify(key);
    if (!verified.ok) throw new Error('the key did not verify');
    for (let i = 0; i < 1200; i += 100) {
      await server.runtime.services.memories.addMany(
        verified.principal,
        Array.from({ length: 100 }, (_, j) => ({ content: `Long list memory number ${i + j}` })),
      );
    }
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const watch = watchPage(page, server.url);
    await signIn(page, server.url, 'long@example.com', SEED_ADMIN.password);
    await rows(page).first().waitFor();
    const size = () => rows(page).first().getAttribute('aria-setsize').then(Number);
    expect(await size()).toBe(100);
    for (let i = 0; i < 40 && (await size()) < 300; i++) {
      await page.mouse.wheel(0, 4000);
      await page.waitForTimeout(50);
    }
    expect(await size()).toBeGreaterThanOrEqual(300);
    expect(await rows(page).count()).toBeLessThan(60);
    expect(watch.problems).toEqual([]);
    await context.close();
  });

  test('at phone width the list and the drawer fit the screen', async () => {
    const context = await phoneContext(browser);
    const page = await context.newPage();
    const watch = watchPage(page, server.url);
    await signIn(page, server.url, SEED_ADMIN.email, SEED_ADMIN.password);
    await expect.poll(() => rows(page).count()).toBe(7);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await row(page, 'Redis 7').click();
    await page.getByRole('dialog', { name: 'Memory' }).getByRole('button', { name: 'Edit' }).waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.goto(`${server.url}/keys`);
    await page.locator('[data-key-row]').first().waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    expect(watch.problems).toEqual([]);
    await context.close();
  });
});

describe('API keys', () => {
  test('a key made read-only with an expiry can read but not write, and the list shows it without the key', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const watch = watchPage(page, server.url);
    await signIn(page, server.url, SEED_ADMIN.email, SEED_ADMIN.password, '/keys');
    expect(await page.locator('[data-key-row]').filter({ hasText: 'old laptop' }).textContent()).toContain('revoked');
    await page.getByRole('button', { name: 'Create key' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Name').fill('reader');
    await dialog.getByRole('checkbox', { name: 'Write memories' }).uncheck();
    await pickOption(dialog, 'Expires', 'In 7 days');
    await dialog.getByRole('button', { name: 'Create', exact: true }).click();
    const key = ((await dialog.locator('code').filter({ hasText: /^cairn_sk_/ }).first().textContent()) ?? '').trim();
    expect(key).toMatch(/^cairn_sk_/);
    await dialog.getByRole('button', { name: 'Done' }).click();
    const listed = page.locator('[data-key-row]').filter({ hasText: 'reader' });
    await listed.waitFor();
    expect(await listed.textContent()).toMatch(/memories:read/);
    expect(await listed.textContent()).not.toMatch(/memories:write/);
    expect(await listed.textContent()).toContain('in 7 days');
    expect(await page.content()).not.toContain(key);

    expect(await rest('GET', '/memories', key)).toBe(200);
    expect(await rest('POST', '/memories', key, { content: 'a reader cannot write this' })).toBe(403);
    const view = (await (await page.request.get(`${server.url}/dashboard/api/v1/keys`)).json()) as { keys: { name: string; expiresAt: string | null; scopes: string[] }[] };
    const reader = view.keys.find((k) => k.name === 'reader')!;
    expect(reader.scopes).toEqual(['memories:read']);
    expect(Math.abs(Date.parse(reader.expiresAt!) - (Date.now() + 7 * 24 * 3600_000))).toBeLessThan(120_000);
    expect(watch.problems).toEqual([]);
    await context.close();
  });

  test('rotating with a grace period keeps the old key working; without one it stops; revoking stops a key at once', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const watch = watchPage(page, server.url);
    await signIn(page, server.url, SEED_ADMIN.email, SEED_ADMIN.password, '/keys');
    /** Rotates the newest active key of that name (the one nothing replaced yet). */
    const rotate = async (name: string, grace: string | null): Promise<string> => {
      const listed = (await (await page.request.get(`${server.url}/dashboard/api/v1/keys`)).json()) as { keys: { id: string; name: string; status: string; rotatedTo: string | null }[] };
      const current = listed.keys.find((k) => k.name === name && k.status === 'active' && k.rotatedTo === null)!;
      await page.locator(`[data-key-row="${current.id}"]`).getByRole('button', { name: 'Rotate' }).click();
      const confirm = page.getByRole('dialog', { name: `Rotate “${name}”?` });
      if (grace) {
        await pickOption(confirm, 'The old key', grace);
      }
      await confirm.getByRole('button', { name: 'Rotate key' }).click();
      const shown = page.getByRole('dialog', { name: `New key for “${name}”` });
      const key = ((await shown.locator('code').filter({ hasText: /^cairn_sk_/ }).first().textContent()) ?? '').trim();
      await shown.getByRole('button', { name: 'Done' }).click();
      await shown.waitFor({ state: 'detached' });
      return key;
    };
    const old = seeded.keys.cursor;
    const graced = await rotate('cursor', 'Works for 1 more hour');
    expect(await rest('GET', '/memories', graced)).toBe(200);
    expect(await rest('GET', '/memories', old)).toBe(200);
    const second = await rotate('cursor', null);
    expect(await rest('GET', '/memories', second)).toBe(200);
    expect(await rest('GET', '/memories', graced)).toBe(401);

    await page.locator('[data-key-row]').filter({ hasText: 'claude-code' }).getByRole('button', { name: 'Revoke' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke key' }).click();
    await page.locator('[data-key-row]').filter({ hasText: 'claude-code' }).getByText('revoked').waitFor();
    expect(await rest('GET', '/memories', seeded.keys['claude-code'])).toBe(401);
    expect(watch.problems).toEqual([]);
    await context.close();
  });
});
