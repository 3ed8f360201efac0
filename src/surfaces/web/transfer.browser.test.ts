import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launchBrowser, type TestBrowser } from '../../testing/browser.js';
import { signIn, watchPage } from '../../testing/dashboard-browser.js';
import { startLiveServer, type LiveServer } from '../../testing/live-server.js';

/**
 * Import on the Memories page in Chromium against a real Cairn: an MCP server-memory JSONL file chosen in the
 * Import… dialog lands in the list with the report shown; a file with a bad line names that line and imports
 * nothing (checked over the dashboard API as well as on the page).
 */

const ADA = { email: 'ada@example.com', password: 'correct horse battery staple' };

let server: LiveServer;
let browser: TestBrowser;

beforeAll(async () => {
  server = await startLiveServer();
  browser = await launchBrowser();
  await server.createPerson(ADA.email, ADA.password);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const rows = (page: Page): Locator => page.locator('[data-memory-row]');
const entity = (name: string, observation: string) => JSON.stringify({ type: 'entity', name, entityType: 'person', observations: [observation] });

async function importFile(page: Page, name: string, text: string): Promise<Locator> {
  await page.getByRole('button', { name: 'Import…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Import memories' });
  await dialog.locator('input[type=file]').setInputFiles({ name, mimeType: 'application/x-ndjson', buffer: Buffer.from(text) });
  await dialog.getByRole('button', { name: 'Import', exact: true }).click();
  return dialog;
}

describe('Import on the Memories page', () => {
  test('a server-memory file is imported and listed; a file with a bad line names it and imports nothing', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, reducedMotion: 'reduce' });
    const page = await context.newPage();
    const watch = watchPage(page, server.url);
    watch.allow('/dashboard/api/v1/import', 400);
    await signIn(page, server.url, ADA.email, ADA.password);
    await expect(page.getByRole('button', { name: 'Export' }).isVisible()).resolves.toBe(true);

    const good = `${entity('Ada', 'prefers green tea')}\n${entity('Ben', 'plays the cello')}\n`;
    const dialog = await importFile(page, 'memory.jsonl', good);
    const report = dialog.locator('[data-import-report]');
    await report.waitFor();
    expect(await report.textContent()).toContain('2 created');
    await dialog.getByRole('button', { name: 'Close', exact: true }).last().click();
    await expect.poll(() => rows(page).count()).toBe(2);
    const listed = (await rows(page).allTextContents()).join('\n');
    expect(listed).toContain('Ada: prefers green tea');
    expect(listed).toContain('Ben: plays the cello');

    const bad = `${entity('Cy', 'runs marathons')}\n${entity('Dee', 'likes jazz')}\n{"type":"entity","name":\n`;
    const second = await importFile(page, 'broken.jsonl', bad);
    const invalid = second.locator('[data-import-invalid]');
    await invalid.waitFor();
    const text = await invalid.textContent();
    expect(text).toContain('Nothing was imported');
    expect(text).toContain('Line 3');
    await second.getByRole('button', { name: 'Cancel', exact: true }).click();
    await expect.poll(() => rows(page).count()).toBe(2);
    expect((await rows(page).allTextContents()).join('\n')).not.toContain('runs marathons');
    const res = await page.evaluate(async () => (await fetch('/dashboard/api/v1/memories?limit=50', { headers: { 'X-Cairn-Dashboard': '1' } })).json());
    expect((res as { memories: unknown[] }).memories).toHaveLength(2);
    expect(watch.problems).toEqual([]);
    await context.close();
  }, 60_000);
});
