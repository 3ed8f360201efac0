import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { axeViolations } from '../../testing/axe.js';
import { launchBrowser, type TestBrowser } from '../../testing/browser.js';
import { phoneContext, pickOption, signIn, watchPage, type PageProblems } from '../../testing/dashboard-browser.js';
import { startLiveServer, type LiveServer } from '../../testing/live-server.js';

/**
 * The acceptance test of shared workspaces (issue 5), two people in two browsers against a real Cairn, with
 * the official MCP SDK client as Ada's agent: Ada creates a shared workspace in the dashboard and invites
 * Ben with a link; Ben, signed out, opens it, signs in, comes back to the invitation and accepts; Ada's agent
 * writes a memory through MCP with a key made for the shared workspace, and Ben sees it with Ada as its
 * author and the key as its app; Ada makes Ben a viewer, and Ben's page offers no change any more, while a
 * delete sent straight to the dashboard API from his page is refused with 403. On the way: the link is
 * shown once and never travels in a URL, a used, revoked or other person's link is refused in words, the
 * last owner cannot leave, the Members and invitation pages pass axe, an admin sees every key of the
 * workspace and an owner revokes a member's key from the Keys page (it stops at once), ownership is handed over and back
 * from the Members page, and deleting the
 * workspace sends everyone back to their personal one.
 */

const ADA = { email: 'ada@example.com', password: 'correct horse battery staple' };
const BEN = { email: 'ben@example.com', password: 'another horse battery staple' };
const CY = { email: 'cy@example.com', password: 'a third horse battery staple' };
const TEAM = 'Platform team';
const NOTE = 'The platform team deploys on Wednesdays after the 10:00 review.';

let server: LiveServer;
let browser: TestBrowser;
let ada: { context: BrowserContext; page: Page; watch: PageProblems };
let ben: { context: BrowserContext; page: Page; watch: PageProblems; urls: string[] };
/** The invitation link Ada copied for Ben, and its token (the fragment). */
let link = '';
let token = '';
let agent: Client | undefined;

beforeAll(async () => {
  server = await startLiveServer();
  browser = await launchBrowser();
  for (const p of [ADA, BEN, CY]) await server.createPerson(p.email, p.password);
}, 60_000);

afterAll(async () => {
  await agent?.close().catch(() => undefined);
  await ada?.context.close();
  await ben?.context.close();
  await browser?.close();
  await server?.close();
});

async function person(): Promise<{ context: BrowserContext; page: Page; watch: PageProblems }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, reducedMotion: 'reduce' });
  const page = await context.newPage();
  return { context, page, watch: watchPage(page, server.url) };
}

async function go(page: Page, label: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label, exact: true }).click();
}

const memoryRow = (page: Page, text: string): Locator => page.locator('[data-memory-row]').filter({ hasText: text });

/** The workspace the page acts in, as /me reports it for the workspace the page chose. */
async function currentWorkspace(page: Page): Promise<{ id: string; name: string; role: string }> {
  return page.evaluate(async () => {
    const ws = localStorage.getItem('cairn.workspace');
    const res = await fetch('/dashboard/api/v1/me', { headers: { 'X-Cairn-Dashboard': '1', ...(ws ? { 'X-Cairn-Workspace': ws } : {}) } });
    return ((await res.json()) as { workspace: { id: string; name: string; role: string } }).workspace;
  });
}

describe('two people in one shared workspace', () => {
  test('Ada creates a shared workspace in the dashboard and becomes its owner', async () => {
    ada = await person();
    await signIn(ada.page, server.url, ADA.email, ADA.password);
    // Her personal workspace has no members: the Members page says so and offers a shared one.
    await go(ada.page, 'Members');
    await ada.page.getByText('is your personal workspace').waitFor();
    await ada.page.getByRole('main').getByRole('button', { name: 'Create a shared workspace' }).click();
    const dialog = ada.page.getByRole('dialog', { name: 'Create a shared workspace' });
    await dialog.getByLabel('Name').fill(TEAM);
    await Promise.all([ada.page.waitForURL((u) => u.pathname === '/members'), dialog.getByRole('button', { name: 'Create workspace' }).click()]);
    await ada.page.getByRole('heading', { name: 'People' }).waitFor();
    const me = ada.page.locator('[data-member-row]').filter({ hasText: ADA.email });
    await me.waitFor();
    expect(await me.getAttribute('data-role')).toBe('owner');
    // The switcher appears (two workspaces now) and shows the new one.
    await expect.poll(() => ada.page.getByRole('combobox', { name: 'Workspace', exact: true }).inputValue()).toBe(TEAM);
    expect(await currentWorkspace(ada.page)).toMatchObject({ name: TEAM, role: 'owner' });
  });

  test('the last owner cannot leave: the page says why', async () => {
    await ada.page.locator('[data-member-row]').filter({ hasText: ADA.email }).getByRole('button', { name: 'Leave workspace' }).click();
    const dialog = ada.page.getByRole('dialog', { name: `Leave “${TEAM}”?` });
    ada.watch.allow('/dashboard/api/v1/members/', 409);
    await dialog.getByRole('button', { name: 'Leave', exact: true }).click();
    await dialog.getByRole('alert').getByText('A workspace must always have an owner').waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(await currentWorkspace(ada.page)).toMatchObject({ name: TEAM, role: 'owner' });
  });

  test('Ada invites Ben with a link, shown once, that carries its token only in the fragment', async () => {
    await ada.page.getByRole('button', { name: 'Invite someone' }).click();
    const dialog = ada.page.getByRole('dialog', { name: 'Invite someone' });
    await pickOption(dialog, 'Role', 'Member');
    await dialog.getByRole('button', { name: 'Create link' }).click();
    const shown = ada.page.getByRole('dialog', { name: 'Invitation created' });
    link = ((await shown.getByTestId('invitation-link').textContent()) ?? '').trim();
    expect(link.startsWith(`${server.url}/dashboard/invite#`)).toBe(true);
    token = new URL(link).hash.slice(1);
    expect(token.length).toBeGreaterThanOrEqual(20);
    expect(await shown.textContent()).toContain('works once');
    expect(await axeViolations(ada.page)).toEqual([]);
    await shown.getByRole('button', { name: 'Done' }).click();
    await shown.waitFor({ state: 'detached' });
    // Listed as pending, and the link is not in the page any more.
    await ada.page.locator('[data-invitation-row]').first().waitFor();
    expect(await ada.page.locator('[data-invitation-row]').count()).toBe(1);
    expect(await ada.page.content()).not.toContain(token);
    expect(await axeViolations(ada.page)).toEqual([]);
  });

  test('Ben, signed out, opens the link, signs in, is brought back to the invitation and accepts it', async () => {
    const b = await person();
    const urls: string[] = [];
    b.context.on('request', (r) => urls.push(r.url()));
    ben = { ...b, urls };
    ben.watch.allow('/dashboard/api/v1/me', 401);
    await ben.page.goto(link);
    // The app found no session: the login page, with the way back to the invitation page (not its token).
    await ben.page.waitForURL((u) => u.pathname === '/login' && u.searchParams.get('return_to') === '/dashboard/invite');
    await ben.page.fill('input[name=email]', BEN.email);
    await ben.page.fill('input[name=password]', BEN.password);
    await Promise.all([ben.page.waitForURL((u) => u.pathname === '/dashboard/invite'), ben.page.click('form button[type=submit]:not(.secondary)')]);
    const invitation = ben.page.locator('[data-invitation]');
    await invitation.waitFor();
    expect(await invitation.textContent()).toContain(`ada invites you to ${TEAM} as member`);
    expect(await axeViolations(ben.page)).toEqual([]);

    await Promise.all([ben.page.waitForURL((u) => u.pathname === '/memories'), ben.page.getByRole('button', { name: `Accept and join ${TEAM}` }).click()]);
    await ben.page.getByRole('navigation', { name: 'Main' }).waitFor();
    await expect.poll(() => ben.page.getByRole('combobox', { name: 'Workspace', exact: true }).inputValue()).toBe(TEAM);
    expect(await currentWorkspace(ben.page)).toMatchObject({ name: TEAM, role: 'member' });
    // The token went to the server in POST bodies only: no request's URL (nor the address bar) ever had it.
    expect(urls.filter((u) => u.split('#')[0]!.includes(token))).toEqual([]);
    expect(ben.page.url()).not.toContain(token);
    expect(await ben.page.evaluate(() => sessionStorage.getItem('cairn.invitation'))).toBeNull();

    // Ada sees Ben as a member, and the invitation is no longer pending.
    await ada.page.reload();
    await ada.page.locator('[data-member-row]').filter({ hasText: BEN.email }).waitFor();
    expect(await ada.page.locator('[data-member-row]').filter({ hasText: BEN.email }).getAttribute('data-role')).toBe('member');
    await ada.page.getByText('No invitation is waiting to be accepted.').waitFor();
  });

  test('the used link is refused to anyone else, in words', async () => {
    const cy = await person();
    cy.watch.allow('/dashboard/api/v1/invitations/', 409);
    await signIn(cy.page, server.url, CY.email, CY.password);
    await cy.page.goto(link);
    await cy.page.getByRole('alert').getByText('This invitation cannot be used again').waitFor();
    expect(await cy.page.getByRole('button', { name: /Accept/ }).count()).toBe(0);
    expect(cy.watch.problems).toEqual([]);
    await cy.context.close();
  });

  test('an invitation for another address is refused to Cy, in words; revoked, its link is dead', async () => {
    await ada.page.getByRole('button', { name: 'Invite someone' }).click();
    const dialog = ada.page.getByRole('dialog', { name: 'Invite someone' });
    await pickOption(dialog, 'Role', 'Viewer');
    await dialog.getByLabel('Email address (optional)').fill('dan@example.com');
    await pickOption(dialog, 'Expires after', '1 day');
    await dialog.getByRole('button', { name: 'Create link' }).click();
    const shown = ada.page.getByRole('dialog', { name: 'Invitation created' });
    const forDan = ((await shown.getByTestId('invitation-link').textContent()) ?? '').trim();
    expect(await shown.textContent()).toContain('signed in as dan@example.com');
    // This server has no CAIRN_SMTP_URL: the dialog says the link was not mailed, and why.
    expect(await shown.getByTestId('invitation-mail').textContent()).toBe('Could not send the email (mail is not configured): copy the link and send it yourself.');
    await shown.getByRole('button', { name: 'Done' }).click();
    const pending = ada.page.locator('[data-invitation-row]').filter({ hasText: 'dan@example.com' });
    await pending.waitFor();
    expect(await pending.textContent()).toContain('Viewer');
    // Created just now, expiring in a day (the second time shown).
    const expires = Date.parse((await pending.locator('time').nth(1).getAttribute('datetime')) ?? '');
    expect(Math.abs(expires - Date.now() - 24 * 3600_000)).toBeLessThan(5 * 60_000);

    const cy = await person();
    cy.watch.allow('/dashboard/api/v1/invitations/', 403);
    cy.watch.allow('/dashboard/api/v1/invitations/', 409);
    await signIn(cy.page, server.url, CY.email, CY.password);
    await cy.page.goto(forDan);
    const refused = cy.page.getByRole('alert');
    await refused.getByText('This invitation is for someone else').waitFor();
    expect(await refused.textContent()).toContain(`You are signed in as ${CY.email}`);

    await pending.getByRole('button', { name: 'Revoke' }).click();
    const confirm = ada.page.getByRole('dialog', { name: 'Revoke this invitation?' });
    await confirm.getByRole('button', { name: 'Revoke invitation' }).click();
    await pending.waitFor({ state: 'detached' });
    await cy.page.goto(forDan);
    await cy.page.getByRole('alert').getByText('This invitation cannot be used again').waitFor();
    expect(cy.watch.problems).toEqual([]);
    await cy.context.close();
  });

  test('Ada’s agent writes through MCP with a key for the shared workspace; Ben sees it with Ada as author and the key as app', async () => {
    await go(ada.page, 'API keys');
    await ada.page.getByRole('button', { name: 'Create key' }).click();
    const dialog = ada.page.getByRole('dialog');
    await dialog.getByLabel('Name').fill('ada laptop');
    // Made in the shared workspace, so bound to it.
    expect(await dialog.getByRole('combobox', { name: 'Workspace' }).inputValue()).toBe(TEAM);
    await dialog.getByRole('button', { name: 'Create', exact: true }).click();
    const key = ((await dialog.locator('code').filter({ hasText: /^cairn_sk_/ }).first().textContent()) ?? '').trim();
    expect(key).toMatch(/^cairn_sk_/);
    await dialog.getByRole('button', { name: 'Done' }).click();
    await dialog.waitFor({ state: 'detached' });

    agent = new Client({ name: 'cairn-teams-e2e', version: '1.0.0' });
    await agent.connect(new StreamableHTTPClientTransport(new URL(server.mcpUrl), { requestInit: { headers: { authorization: `Bearer ${key}` } } }));
    const added = await agent.callTool({ name: 'add_memories', arguments: { text: NOTE } });
    expect(added.isError).toBeFalsy();

    // Ben has been looking at the (then empty) Memories page since he joined: he reloads it.
    await ben.page.reload();
    const row = memoryRow(ben.page, 'deploys on Wednesdays');
    await row.waitFor();
    expect(await row.textContent()).toContain('ada laptop');
    expect(await row.locator('[role=img]').getAttribute('aria-label')).toBe('ada');
    await row.locator('.cairn-row-open').click();
    const drawer = ben.page.getByRole('dialog', { name: 'Memory' });
    const writtenBy = drawer.locator('dt', { hasText: 'Written by' }).locator('xpath=following-sibling::dd[1]');
    expect(await writtenBy.getByText('ada', { exact: true }).count()).toBe(1);
    expect(await writtenBy.textContent()).not.toContain('ben');
    // A member may change it (he will not here).
    expect(await drawer.getByRole('button', { name: 'Delete' }).count()).toBe(1);
    await ben.page.keyboard.press('Escape');
    await drawer.waitFor({ state: 'detached' });
  });

  test('Ada makes Ben an admin: his Members page lets him invite, but not make owners or touch Ada', async () => {
    await go(ada.page, 'Members');
    const benRow = ada.page.locator('[data-member-row]').filter({ hasText: BEN.email });
    await pickOption(ada.page, 'Role of ben', 'Admin');
    await expect.poll(() => benRow.getAttribute('data-role')).toBe('admin');

    await go(ben.page, 'Members');
    const adaRow = ben.page.locator('[data-member-row]').filter({ hasText: ADA.email });
    await adaRow.waitFor();
    expect(await adaRow.getByRole('combobox').count()).toBe(0);
    expect(await adaRow.getByRole('button').count()).toBe(0);
    expect(await ben.page.locator('[data-member-row]').filter({ hasText: BEN.email }).getByRole('button', { name: 'Leave workspace' }).count()).toBe(1);
    await ben.page.getByRole('button', { name: 'Invite someone' }).click();
    const dialog = ben.page.getByRole('dialog', { name: 'Invite someone' });
    await dialog.getByRole('combobox', { name: 'Role', exact: true }).click();
    await dialog.getByRole('option', { name: 'Viewer', exact: true }).waitFor();
    expect(await dialog.getByRole('option').allTextContents()).toEqual(['Admin', 'Member', 'Viewer']);
    await ben.page.keyboard.press('Escape');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    // Only an owner may delete the workspace.
    expect(await ben.page.getByRole('button', { name: 'Delete workspace' }).count()).toBe(0);
    await go(ben.page, 'Memories');
    await memoryRow(ben.page, 'deploys on Wednesdays').waitFor();
  });

  test('as admin, Ben sees every key of the workspace with its holder; Ada revokes the key Ben made and it stops at once', async () => {
    // His page loaded while he was a member: reloaded, it knows he is an admin now.
    await go(ben.page, 'API keys');
    await ben.page.reload();
    await ben.page.getByRole('button', { name: 'Create key' }).click();
    const dialog = ben.page.getByRole('dialog');
    await dialog.getByLabel('Name').fill('ben script');
    await dialog.getByRole('button', { name: 'Create', exact: true }).click();
    const bensKey = ((await dialog.locator('code').filter({ hasText: /^cairn_sk_/ }).first().textContent()) ?? '').trim();
    await dialog.getByRole('button', { name: 'Done' }).click();
    await dialog.waitFor({ state: 'detached' });
    const all = ben.page.getByRole('table', { name: 'All keys in this workspace' });
    await all.locator('[data-workspace-key-row]').filter({ hasText: 'ben script' }).waitFor();
    const adas = all.locator('[data-workspace-key-row]').filter({ hasText: 'ada laptop' });
    expect(await adas.textContent()).toContain(ADA.email);
    expect(await adas.getByRole('button', { name: 'Revoke' }).count()).toBe(1);
    const callWith = (key: string) => fetch(`${server.url}/api/v1/memories`, { headers: { authorization: `Bearer ${key}` } }).then((r) => r.status);
    expect(await callWith(bensKey)).toBe(200);

    await go(ada.page, 'API keys');
    const bens = ada.page.getByRole('table', { name: 'All keys in this workspace' }).locator('[data-workspace-key-row]').filter({ hasText: 'ben script' });
    expect(await bens.textContent()).toContain(BEN.email);
    await bens.getByRole('button', { name: 'Revoke' }).click();
    const confirm = ada.page.getByRole('dialog', { name: `Revoke ${BEN.email}'s key “ben script”?` });
    await confirm.getByRole('button', { name: 'Revoke key' }).click();
    await bens.waitFor({ state: 'detached' });
    expect(await callWith(bensKey)).toBe(401);
    // Back where the next step expects them: Ada on Members, Ben on Memories.
    await go(ada.page, 'Members');
    await go(ben.page, 'Memories');
    await memoryRow(ben.page, 'deploys on Wednesdays').waitFor();
  });

  test('Ada makes Ben a viewer: the delete his open page still offers is refused in words; reloaded, it offers no change, and a delete sent from it anyway gets 403', async () => {
    await go(ada.page, 'Members');
    const benRow = ada.page.locator('[data-member-row]').filter({ hasText: BEN.email });
    await benRow.waitFor();
    await pickOption(ada.page, 'Role of ben', 'Viewer');
    await expect.poll(() => benRow.getAttribute('data-role')).toBe('viewer');

    // Ben's page still shows what a member may do; the delete he tries is refused, and the page says why.
    ben.watch.allow('/dashboard/api/v1/memories', 403);
    const stale = memoryRow(ben.page, 'deploys on Wednesdays');
    await stale.getByRole('button', { name: 'Delete' }).click();
    const refusal = ben.page.locator('.mantine-Notification-root').filter({ hasText: 'Not allowed' });
    await refusal.waitFor();
    expect(await refusal.textContent()).toContain('viewer');
    await stale.waitFor();

    await ben.page.reload();
    const row = memoryRow(ben.page, 'deploys on Wednesdays');
    await row.waitFor();
    await ben.page.locator('[data-read-only]').waitFor();
    expect(await row.getByRole('button', { name: 'Delete' }).count()).toBe(0);
    expect(await row.getByRole('button', { name: 'Archive' }).count()).toBe(0);
    expect(await ben.page.getByRole('checkbox').count()).toBe(0);
    await row.locator('.cairn-row-open').click();
    const drawer = ben.page.getByRole('dialog', { name: 'Memory' });
    await drawer.getByText('Written by').waitFor();
    for (const name of ['Edit', 'Archive', 'Delete']) expect(await drawer.getByRole('button', { name, exact: true }).count()).toBe(0);
    await ben.page.keyboard.press('Escape');

    const id = (await row.getAttribute('data-memory-row'))!;
    const attempts = await ben.page.evaluate(async (memoryId) => {
      const headers = { 'X-Cairn-Dashboard': '1', 'X-Cairn-Workspace': localStorage.getItem('cairn.workspace') ?? '', 'Content-Type': 'application/json' };
      const bulk = await fetch('/dashboard/api/v1/memories/bulk-update', { method: 'POST', headers, body: JSON.stringify({ ids: [memoryId], state: 'deleted' }) });
      const single = await fetch(`/dashboard/api/v1/memories/${memoryId}`, { method: 'DELETE', headers: { 'X-Cairn-Dashboard': headers['X-Cairn-Dashboard'], 'X-Cairn-Workspace': headers['X-Cairn-Workspace'] } });
      const codeOf = async (r: Response) => ((await r.json()) as { error?: { code?: string } }).error?.code;
      return [
        { status: bulk.status, code: await codeOf(bulk) },
        { status: single.status, code: await codeOf(single) },
      ];
    }, id);
    expect(attempts).toEqual([
      { status: 403, code: 'FORBIDDEN' },
      { status: 403, code: 'FORBIDDEN' },
    ]);
    // A viewer's Keys page has no "All keys in this workspace".
    await go(ben.page, 'API keys');
    await ben.page.getByRole('heading', { name: 'API keys' }).waitFor();
    expect(await ben.page.getByRole('heading', { name: 'All keys in this workspace' }).count()).toBe(0);
    await go(ben.page, 'Memories');
    // Nothing was deleted: Ada's agent still finds it.
    const found = await agent!.callTool({ name: 'search_memory', arguments: { query: 'deploys on Wednesdays' } });
    expect(JSON.stringify(found.content)).toContain('Wednesdays after the 10:00 review');
    expect(ada.watch.problems).toEqual([]);
    expect(ben.watch.problems).toEqual([]);
  });

  test('Ada hands the workspace over to Ben and he hands it back, each after a confirmation', async () => {
    await go(ada.page, 'Members');
    const benRow = ada.page.locator('[data-member-row]').filter({ hasText: BEN.email });
    await benRow.getByRole('button', { name: 'Transfer ownership' }).click();
    await ada.page.getByRole('dialog', { name: 'Make ben the owner?' }).getByRole('button', { name: 'Transfer ownership' }).click();
    await expect.poll(() => benRow.getAttribute('data-role')).toBe('owner');
    const adaRow = ada.page.locator('[data-member-row]').filter({ hasText: ADA.email });
    await expect.poll(() => adaRow.getAttribute('data-role')).toBe('admin');
    // An admin now: no handing over, no deleting.
    expect(await ada.page.getByRole('button', { name: 'Transfer ownership' }).count()).toBe(0);
    expect(await ada.page.getByRole('main').getByRole('button', { name: 'Delete workspace' }).count()).toBe(0);

    await go(ben.page, 'Members');
    await ben.page.reload();
    const adaForBen = ben.page.locator('[data-member-row]').filter({ hasText: ADA.email });
    await adaForBen.getByRole('button', { name: 'Transfer ownership' }).click();
    await ben.page.getByRole('dialog', { name: 'Make ada the owner?' }).getByRole('button', { name: 'Transfer ownership' }).click();
    await expect.poll(() => adaForBen.getAttribute('data-role')).toBe('owner');
    await ada.page.reload();
    await expect.poll(() => adaRow.getAttribute('data-role')).toBe('owner');
    expect(await currentWorkspace(ada.page)).toMatchObject({ name: TEAM, role: 'owner' });
    expect(await currentWorkspace(ben.page)).toMatchObject({ name: TEAM, role: 'admin' });
    expect(ada.watch.problems).toEqual([]);
    expect(ben.watch.problems).toEqual([]);
    await go(ben.page, 'Memories');
    await memoryRow(ben.page, 'deploys on Wednesdays').waitFor();
  });

  test('at phone width the Members page of the shared workspace fits the screen and has no WCAG 2.1 A/AA violation', async () => {
    const team = await currentWorkspace(ada.page);
    const context = await phoneContext(browser);
    const page = await context.newPage();
    const watch = watchPage(page, server.url);
    await signIn(page, server.url, ADA.email, ADA.password, '/members');
    await page.evaluate((id) => localStorage.setItem('cairn.workspace', id), team.id);
    await page.reload();
    await page.locator('[data-member-row]').filter({ hasText: BEN.email }).waitFor();
    expect(await axeViolations(page)).toEqual([]);
    const widths = await page.evaluate(() => ({ doc: document.documentElement.scrollWidth, view: window.innerWidth }));
    expect(widths.doc).toBeLessThanOrEqual(widths.view);
    expect(watch.problems).toEqual([]);
    await context.close();
  });

  test('Ada deletes the workspace after typing its name; Ben’s dashboard falls back to his personal workspace', async () => {
    await go(ada.page, 'Members');
    await ada.page.getByRole('main').getByRole('button', { name: 'Delete workspace' }).click();
    const dialog = ada.page.getByRole('dialog', { name: `Delete “${TEAM}”?` });
    const submit = dialog.getByRole('button', { name: 'Delete workspace' });
    await dialog.getByLabel('Workspace name').fill('Platform');
    expect(await submit.isDisabled()).toBe(true);
    await dialog.getByLabel('Workspace name').fill(TEAM);
    await Promise.all([ada.page.waitForURL((u) => u.pathname === '/memories'), submit.click()]);
    await ada.page.getByRole('navigation', { name: 'Main' }).waitFor();
    expect(await currentWorkspace(ada.page)).toMatchObject({ role: 'owner' });
    expect((await currentWorkspace(ada.page)).name).not.toBe(TEAM);

    // Ben's page still chose the deleted workspace: /me says 404 once, and the app starts again from his own.
    ben.watch.allow('/dashboard/api/v1/me', 404);
    await ben.page.reload();
    await ben.page.getByRole('heading', { name: 'Memories' }).waitFor();
    expect(await ben.page.evaluate(() => localStorage.getItem('cairn.workspace'))).toBeNull();
    expect(await ben.page.getByRole('combobox', { name: 'Workspace', exact: true }).count()).toBe(0);
    // His personal workspace has never had a memory.
    await ben.page.getByText('No memories yet').waitFor();
    expect(ada.watch.problems).toEqual([]);
    expect(ben.watch.problems).toEqual([]);
  });
});
