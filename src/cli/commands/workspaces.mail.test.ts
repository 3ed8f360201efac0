import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TEST_SECRET } from '../../testing/build-test-app.js';
import { mailBody, startSmtpServer, type TestSmtpServer } from '../../testing/smtp-server.js';
import { runCli } from '../main.js';

// `cairn workspace invite --email` mails the link when CAIRN_SMTP_URL is set (in-process, real SMTP server).

let dir: string;
let smtp: TestSmtpServer;
let env: NodeJS.ProcessEnv;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cairn-cli-mail-'));
  smtp = await startSmtpServer();
  env = { CAIRN_DATA_DIR: dir, CAIRN_SECRET: TEST_SECRET, CAIRN_LOG_LEVEL: 'silent', CAIRN_SMTP_URL: smtp.url, CAIRN_MAIL_FROM: 'cairn@example.com' };
});
afterEach(async () => {
  await smtp.close().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

async function cairn(...args: string[]) {
  let out = '';
  let err = '';
  const code = await runCli(args, { env, out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

describe('cairn workspace invite --email', () => {
  it('mails the link to the address and says so; without --email nothing is sent; a down server is reported, the link still printed', async () => {
    expect((await cairn('user', 'create', '--email', 'ana@example.com')).code).toBe(0);
    const created = await cairn('workspace', 'create', '--owner', 'ana@example.com', '--name', 'Research', '--json');
    expect(created.code, created.err).toBe(0);
    const ws = (JSON.parse(created.out) as { id: string }).id;

    const mailed = await cairn('workspace', 'invite', '--workspace', ws, '--role', 'member', '--email', 'ben@example.com');
    expect(mailed.code, mailed.err).toBe(0);
    expect(mailed.out).toContain('Mailed to ben@example.com.');
    const printed = /\/dashboard\/invite#([0-9A-Za-z]{32})\n/.exec(mailed.out)?.[1];
    expect(smtp.messages.map((m) => m.to)).toEqual([['ben@example.com']]);
    expect(mailBody(smtp.messages[0]!.raw)).toContain(`/dashboard/invite#${printed}\n`);

    const json = await cairn('workspace', 'invite', '--workspace', ws, '--role', 'viewer', '--json');
    expect(JSON.parse(json.out)).toMatchObject({ email: null, mailed: false });
    expect(smtp.messages).toHaveLength(1);

    await smtp.close();
    const down = await cairn('workspace', 'invite', '--workspace', ws, '--role', 'viewer', '--email', 'cy@example.com', '--json');
    expect(down.code, down.err).toBe(0);
    expect(JSON.parse(down.out)).toMatchObject({ email: 'cy@example.com', mailed: false, mailError: 'the mail server could not be reached', url: expect.stringContaining('/dashboard/invite#') });
  });
});
