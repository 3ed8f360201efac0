import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import type { Principal } from '../src/core/principal.js';
import { launchBrowser } from '../src/testing/browser.js';
import { signIn } from '../src/testing/dashboard-browser.js';
import { startLiveServer, type LiveServer } from '../src/testing/live-server.js';
import { CORPUS_VERSION, loadLocomoText, memoryTexts } from './search-latency/corpus.js';

/**
 * The Memories page with 100,000 memories (issue 4: "the memories table stays responsive with 100k memories").
 * A real Cairn on SQLite with one person's workspace of BENCH_MEMORIES memories (LoCoMo-derived text, written
 * through MemoryService.addMany by two keys, so two apps), driven by Debian's Chromium through playwright-core.
 * For BENCH_ROUNDS rounds, in a fresh page each time, it times:
 *   - first rows: navigation to /memories until the first memory row is on screen;
 *   - search: typing a query into the search box until the first row of its results is on screen (this
 *     includes the page's debounce, so it is what a person waits);
 *   - scrolling: 40 wheel steps through the loaded list (which loads further pages as it goes), the longest
 *     main-thread task during it, and how many rows are in the DOM afterwards (virtualisation keeps it small).
 * It prints figures and never fails on them; it exits non-zero only when the set-up is broken.
 *
 *   npm run build:web && npm run bench:dashboard
 *
 * The seeded database is cached in the temp dir between runs (BENCH_NO_CACHE=1 rebuilds it). Settings:
 * BENCH_MEMORIES (100000), BENCH_ROUNDS (5), LOCOMO_PATH.
 */

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PERSON = { email: 'bench@example.com', password: 'correct horse battery staple' };
/** A memory row of the Memories page (web/src/pages/Memories.tsx). */
const ROW = '[data-memory-row]';
const QUERIES = ['basketball tournament', 'adoption agency', 'painting sunset', 'camping trip', 'LGBTQ support group'];

const memories = int('BENCH_MEMORIES', 100_000);
const rounds = int('BENCH_ROUNDS', 5);
const datasetPath = process.env.LOCOMO_PATH ? resolve(process.env.LOCOMO_PATH) : resolve(REPO_ROOT, '../shared/data/locomo/locomo10.json');
if (!existsSync(join(REPO_ROOT, 'web', 'dist', 'index.html'))) fail('web/dist is missing: run `npm run build:web` first.');
if (!existsSync(datasetPath)) fail(`LoCoMo not found at ${datasetPath} (LOCOMO_PATH)`);

const dir = cacheDir();
const cached = existsSync(join(dir, 'meta.json'));
if (!cached) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
}
console.log(`Cairn dashboard, Memories page: ${memories.toLocaleString('en-US')} memories, ${rounds} rounds; Node ${process.version}, ${cpus().length} cores, Chromium (Debian)`);
console.log(`  SQLite file: ${dir} (${cached ? 'reused' : 'seeding'}; BENCH_NO_CACHE=1 to rebuild)`);

const server = await startLiveServer({ CAIRN_LOG_LEVEL: 'silent' }, { dataDir: dir });
const browser = await launchBrowser();
try {
  if (!cached) await seed(server);
  const firstRows: number[] = [];
  const search: number[] = [];
  const longest: number[] = [];
  const domRows: number[] = [];
  const loadedRows: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await signIn(page, server.url, PERSON.email, PERSON.password, '/sessions');
    // First rows: from navigation to the first row on screen.
    let t = performance.now();
    await page.goto(`${server.url}/memories`);
    await page.locator(ROW).first().waitFor({ state: 'visible', timeout: 30_000 });
    firstRows.push(performance.now() - t);

    // Scrolling: long tasks while the list scrolls and loads further pages.
    await page.evaluate(() => {
      const w = window as unknown as { __longest: number };
      w.__longest = 0;
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) w.__longest = Math.max(w.__longest, e.duration);
      }).observe({ type: 'longtask', buffered: false });
    });
    await page.locator(ROW).first().hover();
    for (let i = 0; i < 40; i++) {
      await page.mouse.wheel(0, 1200);
      await page.waitForTimeout(30);
    }
    await page.waitForLoadState('networkidle');
    longest.push(await page.evaluate(() => (window as unknown as { __longest: number }).__longest));
    domRows.push(await page.locator(ROW).count());
    loadedRows.push(await loadedCount(page));

    // Search: from typing the query to the first result on screen.
    const query = QUERIES[r % QUERIES.length]!;
    const first = await page.locator(ROW).first().textContent();
    const box = page.getByRole('searchbox', { name: 'Search memories' }).or(page.getByLabel('Search memories')).first();
    t = performance.now();
    await box.fill(query);
    await page.waitForFunction(
      ([sel, before, word]) => {
        const row = document.querySelector(sel);
        return row !== null && row.textContent !== before && row.textContent!.toLowerCase().includes(word);
      },
      [ROW, first, query.split(' ')[0]!.toLowerCase()] as const,
      { timeout: 30_000, polling: 'raf' },
    );
    search.push(performance.now() - t);
    await context.close();
  }
  const row = (label: string, xs: number[], unit = 'ms') => console.log(`  ${label.padEnd(44)} median ${fmt(median(xs))} ${unit}   min ${fmt(Math.min(...xs))}   max ${fmt(Math.max(...xs))}`);
  console.log('');
  row('time to first rows (navigation → first row)', firstRows);
  row('time to a search result (typing → first hit)', search);
  row('longest main-thread task while scrolling', longest);
  row('memory rows in the DOM after scrolling', domRows, 'rows');
  row('memory rows loaded after scrolling', loadedRows, 'rows');
} finally {
  await browser.close();
  await server.close();
  if (process.env.BENCH_NO_CACHE === '1') rmSync(dir, { recursive: true, force: true });
}

/** How many memories the page holds: each row's aria-setsize is the size of the loaded list. */
async function loadedCount(page: Page): Promise<number> {
  return page.evaluate((sel) => {
    const row = document.querySelector(`${sel}[aria-setsize]`);
    return row ? Number(row.getAttribute('aria-setsize')) : document.querySelectorAll(sel).length;
  }, ROW);
}

async function seed(server: LiveServer): Promise<void> {
  const started = performance.now();
  const { services } = server.runtime;
  const { user, workspace } = await server.createPerson(PERSON.email, PERSON.password);
  const source = loadLocomoText(datasetPath);
  const principals: Principal[] = [];
  for (const name of ['claude-code', 'cursor']) {
    const { key } = await services.apiKeys.create({ userId: user.id, workspaceId: workspace.id }, { name, scopes: ['memories:read', 'memories:write'], expiresAt: null }, { kind: 'cli', credentialId: null });
    const verified = await services.verifier.verify(key);
    if (!verified.ok) throw new Error(`seed: a new key did not verify (${verified.reason})`);
    principals.push(verified.principal);
  }
  let batch: { content: string }[] = [];
  let created = 0;
  for (const content of memoryTexts(source, memories, 7)) {
    batch.push({ content });
    if (batch.length === 100) {
      const outcomes = await services.memories.addMany(principals[(created / 100) % 2]!, batch);
      created += outcomes.filter((o) => o.created).length;
      batch = [];
      if (created % 20_000 === 0) process.stderr.write(`  seeded ${created.toLocaleString('en-US')}\n`);
    }
  }
  if (batch.length > 0) created += (await services.memories.addMany(principals[0]!, batch)).filter((o) => o.created).length;
  await services.flush();
  writeFileSync(join(dir, 'meta.json'), JSON.stringify({ created }));
  console.log(`  seeded ${created.toLocaleString('en-US')} memories in ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

function cacheDir(): string {
  const migrations = join(REPO_ROOT, 'migrations/sqlite');
  const hash = createHash('sha256');
  for (const f of readdirSync(migrations).sort()) hash.update(f).update(readFileSync(join(migrations, f)));
  return join(tmpdir(), `cairn-bench-dashboard-c${CORPUS_VERSION}-${hash.digest('hex').slice(0, 10)}-${memories}`);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function fmt(x: number): string {
  return x.toFixed(0).padStart(6);
}

function int(name: string, fallback: number): number {
  const raw = process.env[name];
  const n = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(n) || n < 1) fail(`${name} must be a whole number >= 1`);
  return n;
}

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}
