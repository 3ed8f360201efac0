import type { LightMyRequestResponse } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../logging.js';
import { cookieHeader, createAccountUser } from '../../testing/accounts.js';
import { buildTestApp, type TestApp } from '../../testing/build-test-app.js';
import { dashboardRequest, type DashboardPerson } from '../../testing/dashboard.js';
import { mailBody, mailHeader, startSmtpServer, type TestSmtpServer } from '../../testing/smtp-server.js';

// Invitations by email address (issue 5): POST /v1/invitations with an email mails the link to that
// address through a real SMTP server on 127.0.0.1 (smtp-server), after the invitation is stored; a mail
// failure keeps the invitation and says why, with nothing secret in the answer or the log.

const SMTP_USER = 'cairn-mailer';
const SMTP_PASSWORD = 'smtp-pa$$word-7f3e';
const FROM = 'Cairn <cairn@example.com>';

let t: TestApp | undefined;
let smtp: TestSmtpServer | undefined;
let logLines: string[] = [];
afterEach(async () => {
  await t?.close();
  await smtp?.close().catch(() => undefined);
  t = undefined;
  smtp = undefined;
  logLines = [];
});

async function appWith(env: Record<string, string>): Promise<TestApp> {
  logLines = [];
  t = await buildTestApp({ env, logger: createLogger('info', { write: (line: string) => void logLines.push(line) }) });
  return t;
}

let signIns = 0;
async function person(app: TestApp, email: string, name?: string): Promise<DashboardPerson> {
  const { user, workspace, password } = await createAccountUser(app.runtime.services, email, name ? { name } : {});
  signIns += 1;
  const cookie = cookieHeader(await app.runtime.services.accounts.signIn(email, password, `10.9.${Math.floor(signIns / 250)}.${signIns % 250}`));
  if (!cookie) throw new Error(`signing in as ${email} set no cookie`);
  return { user, workspace, cookie };
}

const inWs = (id: string) => ({ 'x-cairn-workspace': id });

async function team(app: TestApp, owner: DashboardPerson, name = 'Research'): Promise<string> {
  const res = await dashboardRequest(app, owner, 'POST', '/v1/workspaces', { name });
  expect(res.statusCode, res.body).toBe(201);
  return (res.json() as { workspace: { id: string } }).workspace.id;
}

interface Created {
  invitation: { id: string; email: string | null; role: string };
  token: string;
  url: string;
  mailed: boolean;
  mailError?: string;
}

async function invite(app: TestApp, who: DashboardPerson, ws: string, body: object): Promise<{ res: LightMyRequestResponse; out: Created }> {
  const res = await dashboardRequest(app, who, 'POST', '/v1/invitations', body, inWs(ws));
  expect(res.statusCode, res.body).toBe(201);
  return { res, out: res.json() as Created };
}

const smtpEnv = (server: TestSmtpServer) => ({ CAIRN_SMTP_URL: server.url, CAIRN_MAIL_FROM: FROM });

describe('invitations by email address', () => {
  it('mails the link to the bound address only; the token in the mail accepts the invitation', async () => {
    smtp = await startSmtpServer({ auth: { user: SMTP_USER, password: SMTP_PASSWORD } });
    const app = await appWith(smtpEnv(smtp));
    const ada = await person(app, 'ada@example.com');
    const bob = await person(app, 'bob@example.com');
    const ws = await team(app, ada);

    const { out } = await invite(app, ada, ws, { role: 'member', email: 'Bob@Example.com', expiresInHours: 48 });
    expect(out.mailed).toBe(true);
    expect(out).not.toHaveProperty('mailError');
    expect(smtp.messages).toHaveLength(1);
    const mail = smtp.messages[0]!;
    expect(mail.to).toEqual(['bob@example.com']);
    expect(mail.from).toBe('cairn@example.com');
    expect(mailHeader(mail.raw, 'From')).toBe(FROM);
    expect(mailHeader(mail.raw, 'To')).toBe('bob@example.com');
    expect(mailHeader(mail.raw, 'Subject')).toBe('ada@example.com invites you to "Research" on Cairn');
    const body = mailBody(mail.raw);
    expect(body).toContain('ada@example.com invites you to join the workspace "Research" on Cairn as member (read and write memories).');
    // The test clock starts at 2026-01-01 12:00 UTC; 48 hours.
    expect(body).toContain('until 2026-01-03 12:00 UTC, for the Cairn account with the address bob@example.com');
    const link = /^(http\S+\/dashboard\/invite#([0-9A-Za-z]{32}))$/m.exec(body);
    expect(link?.[1]).toBe(out.url);
    expect(link?.[1]).toBe(`${app.runtime.config.http.publicUrl}/dashboard/invite#${out.token}`);

    // Bob accepts with the token as read from the mail.
    const joined = await dashboardRequest(app, bob, 'POST', '/v1/invitations/accept', { token: link![2] });
    expect(joined.statusCode, joined.body).toBe(200);
    expect(joined.json()).toMatchObject({ workspace: { id: ws, role: 'member' } });
    // The SMTP login never reaches the log; nor does the token.
    expect(logLines.join('')).not.toContain(SMTP_PASSWORD);
    expect(logLines.join('')).not.toContain(out.token);
  });

  it("names the inviter by name and address, and the role's powers", async () => {
    smtp = await startSmtpServer();
    const app = await appWith(smtpEnv(smtp));
    const ada = await person(app, 'ada@example.com', 'Ada Lovelace');
    const ws = await team(app, ada, 'Ops\r\nBcc: eve@example.com');
    const { out } = await invite(app, ada, ws, { role: 'viewer', email: 'cat@example.com' });
    expect(out.mailed).toBe(true);
    const mail = smtp.messages[0]!;
    expect(mail.to).toEqual(['cat@example.com']);
    // A line break typed into a workspace name cannot add a header (or a recipient).
    expect(mailHeader(mail.raw, 'Bcc')).toBeUndefined();
    expect(mailHeader(mail.raw, 'Subject')).toBe('Ada Lovelace (ada@example.com) invites you to "Ops Bcc: eve@example.com" on Cairn');
    expect(mailBody(mail.raw)).toContain('as viewer (read memories)');
  });

  it('an invitation without an address sends nothing: mailed false, no error', async () => {
    smtp = await startSmtpServer();
    const app = await appWith(smtpEnv(smtp));
    const ada = await person(app, 'ada@example.com');
    const ws = await team(app, ada);
    for (const body of [{ role: 'member' }, { role: 'member', email: null }, { role: 'member', email: '  ' }]) {
      const { out } = await invite(app, ada, ws, body);
      expect(out).toMatchObject({ mailed: false, invitation: { email: null } });
      expect(out).not.toHaveProperty('mailError');
    }
    expect(smtp.messages).toEqual([]);
  });

  it('a server refusing the recipient: the invitation is kept, mailed false with the reason; nothing secret in the answer or the log', async () => {
    smtp = await startSmtpServer({ auth: { user: SMTP_USER, password: SMTP_PASSWORD }, refuseRecipients: true });
    const app = await appWith(smtpEnv(smtp));
    const ada = await person(app, 'ada@example.com');
    const bob = await person(app, 'bob@example.com');
    const ws = await team(app, ada);
    const { res, out } = await invite(app, ada, ws, { role: 'admin', email: 'bob@example.com' });
    expect(out.mailed).toBe(false);
    expect(out.mailError).toBe('the mail server refused the recipient address (550)');
    expect(res.body).not.toContain(SMTP_PASSWORD);
    expect(res.body).not.toContain(SMTP_USER);
    expect(smtp.messages).toEqual([]);

    const pending = (await dashboardRequest(app, ada, 'GET', '/v1/invitations', undefined, inWs(ws))).json() as { invitations: { id: string }[] };
    expect(pending.invitations.map((i) => i.id)).toEqual([out.invitation.id]);
    expect((await dashboardRequest(app, bob, 'POST', '/v1/invitations/accept', { token: out.token })).statusCode).toBe(200);

    const warnings = logLines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'could not mail an invitation; the inviter was given the link to pass on');
    expect(warnings).toEqual([expect.objectContaining({ level: 40, invitationId: out.invitation.id, workspaceId: ws, reason: out.mailError, code: 'EENVELOPE', responseCode: 550 })]);
    const log = logLines.join('');
    // Nor the token, the SMTP login, or the address the server named in its refusal.
    for (const secret of [SMTP_PASSWORD, out.token, Buffer.from(`\u0000${SMTP_USER}\u0000${SMTP_PASSWORD}`).toString('base64'), 'bob@example.com']) expect(log).not.toContain(secret);
    expect(warnings[0]).toMatchObject({ response: '550 <…>: Recipient address rejected: no such user here' });
  });

  it('a server that is down, or refuses the login: the invitation is created all the same', async () => {
    smtp = await startSmtpServer({ auth: { user: SMTP_USER, password: SMTP_PASSWORD } });
    const wrongLogin = smtp.url.replace(encodeURIComponent(SMTP_PASSWORD), 'not-the-password-91');
    const app = await appWith({ CAIRN_SMTP_URL: wrongLogin, CAIRN_MAIL_FROM: FROM });
    const ada = await person(app, 'ada@example.com');
    const ws = await team(app, ada);
    const refused = await invite(app, ada, ws, { role: 'member', email: 'bob@example.com' });
    expect(refused.out).toMatchObject({ mailed: false, mailError: 'the mail server refused the login (535)' });
    expect(refused.res.body).not.toContain('not-the-password-91');

    await smtp.close();
    const down = await invite(app, ada, ws, { role: 'member', email: 'cat@example.com' });
    expect(down.out).toMatchObject({ mailed: false, mailError: 'the mail server could not be reached', invitation: { email: 'cat@example.com' } });
    const rows = await app.runtime.storage.db.selectFrom('workspace_invitations').select(['id', 'email']).orderBy('email').execute();
    expect(rows).toEqual([
      { id: refused.out.invitation.id, email: 'bob@example.com' },
      { id: down.out.invitation.id, email: 'cat@example.com' },
    ]);
    expect(logLines.join('')).not.toContain('not-the-password-91');
    smtp = undefined;
  });

  it('without CAIRN_SMTP_URL: an invitation with an address says mail is not configured', async () => {
    const app = await appWith({});
    const ada = await person(app, 'ada@example.com');
    const ws = await team(app, ada);
    const { out } = await invite(app, ada, ws, { role: 'member', email: 'bob@example.com' });
    expect(out).toMatchObject({ mailed: false, mailError: 'mail is not configured', invitation: { email: 'bob@example.com' } });
  });
});
