import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSmtpServer, type TestSmtpServer } from '../../testing/smtp-server.js';
import type { CliContext } from '../context.js';
import { runDoctor } from './doctor.js';

const USER = 'doctor-mailer';
const PASSWORD = 'doctor-smtp-pw-4a9c';
let smtp: TestSmtpServer;
let dir: string;
beforeAll(async () => {
  smtp = await startSmtpServer({ auth: { user: USER, password: PASSWORD } });
  dir = mkdtempSync(join(tmpdir(), 'cairn-doctor-mail-'));
});
afterAll(async () => {
  await smtp.close();
  rmSync(dir, { recursive: true, force: true });
});

async function doctor(env: Record<string, string>): Promise<{ code: number; out: string }> {
  let out = '';
  const ctx: CliContext = { env: { CAIRN_DATA_DIR: join(dir, 'data'), ...env }, cwd: dir, out: (t) => void (out += t), err: (t) => void (out += t) };
  const code = await runDoctor(ctx);
  return { code, out };
}

describe('cairn doctor: mail', () => {
  it('without CAIRN_SMTP_URL: an ok line saying invitations are not mailed', async () => {
    const { code, out } = await doctor({});
    expect(code).toBe(0);
    expect(out).toMatch(/ok +mail: not configured: invitations are not mailed/);
    expect(out).toMatch(/CAIRN_SMTP_URL +│? *\(none: no mail is sent\)/);
  });

  it('a server that answers and accepts the login: ok, the URL shown with its password masked', async () => {
    const { code, out } = await doctor({ CAIRN_SMTP_URL: smtp.url, CAIRN_MAIL_FROM: 'Cairn <cairn@example.com>' });
    expect(code, out).toBe(0);
    expect(out).toContain(`ok    mail: smtp://${USER}:*****@127.0.0.1:${smtp.port} answers and accepts the login; invitations with an email address are mailed from Cairn <cairn@example.com>`);
    expect(out).toMatch(new RegExp(`CAIRN_SMTP_URL +│? *smtp://${USER}:\\*\\*\\*\\*\\*@127\\.0\\.0\\.1:${smtp.port}`));
    expect(out).not.toContain(PASSWORD);
  });

  it('a refused login or a server that is down: a failure with the reason, never the password', async () => {
    const refused = await doctor({ CAIRN_SMTP_URL: smtp.url.replace(PASSWORD, 'wrong-doctor-pw-77'), CAIRN_MAIL_FROM: 'cairn@example.com' });
    expect(refused.code).toBe(1);
    expect(refused.out).toMatch(/FAIL {2}mail: smtp:\/\/doctor-mailer:\*\*\*\*\*@127\.0\.0\.1:\d+: the mail server refused the login \(535\)\. Invitations are still created, but not mailed/);
    expect(refused.out).not.toContain('wrong-doctor-pw-77');

    const other = await startSmtpServer();
    await other.close();
    const down = await doctor({ CAIRN_SMTP_URL: `smtp://${USER}:${PASSWORD}@127.0.0.1:${other.port}`, CAIRN_MAIL_FROM: 'cairn@example.com' });
    expect(down.code).toBe(1);
    expect(down.out).toContain(`FAIL  mail: smtp://${USER}:*****@127.0.0.1:${other.port}: the mail server could not be reached`);
    expect(down.out).not.toContain(PASSWORD);
  });

  it('a URL without CAIRN_MAIL_FROM is a configuration problem', async () => {
    const { code, out } = await doctor({ CAIRN_SMTP_URL: smtp.url });
    expect(code).toBe(1);
    expect(out).toContain('FAIL  CAIRN_MAIL_FROM: is required when CAIRN_SMTP_URL is set');
    expect(out).not.toContain(PASSWORD);
  });
});
