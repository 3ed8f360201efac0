import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launchBrowser, type TestBrowser } from '../../testing/browser.js';
import { pickOption, signIn, watchPage, type PageProblems } from '../../testing/dashboard-browser.js';
import { startLiveServer, type LiveServer } from '../../testing/live-server.js';
import { mailBody, startSmtpServer, type TestSmtpServer } from '../../testing/smtp-server.js';

// The invitation dialog with mail configured (issue 5): a real Cairn with CAIRN_SMTP_URL pointing at a real
// SMTP server on 127.0.0.1. The dialog says the link was sent, and the mail holds the link it shows; with
// the server down, it says why and still shows the link.

const ADA = { email: 'ada@example.com', password: 'correct horse battery staple' };
const TEAM = 'Mail team';

let smtp: TestSmtpServer;
let server: LiveServer;
let browser: TestBrowser;
let ada: { context: BrowserContext; page: Page; watch: PageProblems };

beforeAll(async () => {
  smtp = await startSmtpServer();
  server = await startLiveServer({ CAIRN_SMTP_URL: smtp.url, CAIRN_MAIL_FROM: 'Cairn <cairn@example.com>' });
  browser = await launchBrowser();
  await server.createPerson(ADA.email, ADA.password);
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, reducedMotion: 'reduce' });
  const page = await context.newPage();
  ada = { context, page, watch: watchPage(page, server.url) };
}, 60_000);

afterAll(async () => {
  await ada?.context.close();
  await browser?.close();
  await server?.close();
  await smtp?.close().catch(() => undefined);
});

async function inviteByEmail(email: string): Promise<{ link: string; said: string }> {
  await ada.page.getByRole('button', { name: 'Invite someone' }).click();
  const dialog = ada.page.getByRole('dialog', { name: 'Invite someone' });
  await pickOption(dialog, 'Role', 'Viewer');
  await dialog.getByLabel('Email address (optional)').fill(email);
  await dialog.getByRole('button', { name: 'Create link' }).click();
  const shown = ada.page.getByRole('dialog', { name: 'Invitation created' });
  const link = ((await shown.getByTestId('invitation-link').textContent()) ?? '').trim();
  const said = ((await shown.getByTestId('invitation-mail').textContent()) ?? '').trim();
  await shown.getByRole('button', { name: 'Done' }).click();
  await shown.waitFor({ state: 'detached' });
  return { link, said };
}

describe('the invitation dialog with mail configured', () => {
  test('says "Sent to" and the mail holds the link shown; with the server down it says why, link still shown', async () => {
    await signIn(ada.page, server.url, ADA.email, ADA.password);
    await ada.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Members', exact: true }).click();
    await ada.page.getByRole('main').getByRole('button', { name: 'Create a shared workspace' }).click();
    const create = ada.page.getByRole('dialog', { name: 'Create a shared workspace' });
    await create.getByLabel('Name').fill(TEAM);
    await create.getByRole('button', { name: 'Create workspace' }).click();
    await ada.page.getByRole('heading', { name: 'People' }).waitFor();

    const sent = await inviteByEmail('dan@example.com');
    expect(sent.said).toBe('Sent to dan@example.com.');
    expect(smtp.messages.map((m) => m.to)).toEqual([['dan@example.com']]);
    expect(sent.link.startsWith(`${server.url}/dashboard/invite#`)).toBe(true);
    expect(mailBody(smtp.messages[0]!.raw)).toContain(`\n${sent.link}\n`);

    await smtp.close();
    const unsent = await inviteByEmail('eve@example.com');
    expect(unsent.said).toBe('Could not send the email (the mail server could not be reached): copy the link and send it yourself.');
    expect(unsent.link.startsWith(`${server.url}/dashboard/invite#`)).toBe(true);
    await ada.page.locator('[data-invitation-row]').filter({ hasText: 'eve@example.com' }).waitFor();
    expect(ada.watch.problems).toEqual([]);
  });
});
