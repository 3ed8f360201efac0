// Screenshots of every dashboard page at desktop (1280×800) and phone (390×844) width, into docs/screenshots/:
//   npm run build:web && npm run screenshots [-- page ...]
// A throw-away Cairn with the seeded workspace of src/testing/dashboard-seed.ts (two people, two keys, an
// authorised OAuth client, a client-credentials client, eight memories) and a shared workspace (the two
// people, a pending invitation) for the Members page is driven by Debian's Chromium (playwright-core). Re-run it after changing a page and commit the pictures with the change.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { launchBrowser } from '../src/testing/browser.js';
import { signIn } from '../src/testing/dashboard-browser.js';
import { seedDashboard, SEED_ADMIN, type Seeded } from '../src/testing/dashboard-seed.js';
import { startLiveServer } from '../src/testing/live-server.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'docs', 'screenshots');

/** name → path; the sign-in page is taken signed out, the Members page in the shared workspace. */
export const PAGES: readonly (readonly [name: string, path: string])[] = [
  ['login', '/login'],
  ['memories', '/memories'],
  ['connect', '/connect'],
  ['keys', '/keys'],
  ['apps', '/apps'],
  ['members', '/members'],
  ['sessions', '/sessions'],
  ['activity', '/activity'],
  ['admin', '/admin'],
];

const SIZES = {
  desktop: { viewport: { width: 1280, height: 800 } },
  phone: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true },
} as const;

if (!existsSync(join(ROOT, 'web', 'dist', 'index.html'))) {
  console.error('web/dist is missing: run `npm run build:web` first.');
  process.exit(1);
}
const only = new Set(process.argv.slice(2));
const wanted = PAGES.filter(([name]) => only.size === 0 || only.has(name));
mkdirSync(OUT, { recursive: true });

const server = await startLiveServer();
const browser = await launchBrowser();
try {
  const seeded = await seedDashboard(server, { apps: true });
  const team = await sharedWorkspace(seeded);
  // The access log is written in batches; the Activity page should show the seeding.
  await server.runtime.services.flush();
  for (const [size, options] of Object.entries(SIZES)) {
    const signedOut = await browser.newContext({ ...options, reducedMotion: 'reduce', colorScheme: 'light' });
    const signedIn = await browser.newContext({ ...options, reducedMotion: 'reduce', colorScheme: 'light' });
    await signIn(await signedIn.newPage(), server.url, SEED_ADMIN.email, SEED_ADMIN.password);
    for (const [name, path] of wanted) {
      const file = join(OUT, `${name}-${size}.png`);
      await shoot(name === 'login' ? signedOut : signedIn, `${server.url}${path}`, file, name === 'members' ? team : null);
      console.log(`${file.slice(ROOT.length + 1)}`);
    }
    await signedOut.close();
    await signedIn.close();
  }
} finally {
  await browser.close();
  await server.close();
}

/** "Platform team": the admin owns it, the second person is a member, and an invitation waits. */
async function sharedWorkspace({ admin, other }: Seeded): Promise<string> {
  const cli = { credential: { kind: 'cli', id: null }, appId: null } as const;
  const { workspaces } = server.runtime.services;
  const team = await workspaces.create({ userId: admin.user.id, workspaceId: admin.workspace.id, ...cli }, { name: 'Platform team' });
  const owner = { userId: admin.user.id, workspaceId: team.id, ...cli };
  const { token } = await workspaces.invite(owner, { role: 'member' });
  await workspaces.accept({ userId: other.user.id, workspaceId: other.workspace.id, ...cli }, token);
  await workspaces.invite(owner, { role: 'viewer', email: 'lin@example.com', expiresInHours: 72 });
  return team.id;
}

/** `workspace`: the page acts in this workspace (the switcher's choice), not the person's personal one. */
async function shoot(context: BrowserContext, url: string, file: string, workspace: string | null = null): Promise<void> {
  const page: Page = await context.newPage();
  if (workspace) await page.addInitScript((id) => localStorage.setItem('cairn.workspace', id), workspace);
  await page.goto(url);
  await page.waitForLoadState('networkidle');
  // Loaders gone, fonts and charts drawn.
  await page.waitForFunction(() => document.querySelectorAll('[role=status] .mantine-Loader-root, .mantine-Skeleton-root').length === 0, undefined, { timeout: 10_000 }).catch(() => undefined);
  await page.waitForTimeout(400);
  await page.screenshot({ path: file });
  // The choice is kept in localStorage, which the context's later pages share: back to the personal one.
  if (workspace) await page.evaluate(() => localStorage.removeItem('cairn.workspace'));
  await page.close();
}
