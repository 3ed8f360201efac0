import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { MailConfig } from '../config/schema.js';
import { MailDeliveryError } from '../core/mail/mailer.js';
import { mailBody, mailHeader, startSmtpServer, type TestSmtpServer } from '../testing/smtp-server.js';
import { SmtpMailer } from './smtp-mailer.js';

// The SMTP mailer against real servers on 127.0.0.1: smtp-server, and a socket that never speaks.

let smtp: TestSmtpServer | undefined;
let silent: Server | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  await smtp?.close();
  for (const s of sockets.splice(0)) s.destroy();
  await new Promise<void>((resolve) => (silent ? silent.close(() => resolve()) : resolve()));
  smtp = undefined;
  silent = undefined;
});

const config = (port: number, login?: { user: string; password: string }): MailConfig => ({
  smtp: { host: '127.0.0.1', port, secure: false, ...(login ? { user: login.user, password: login.password } : {}) },
  from: 'Cairn <cairn@example.com>',
});

async function failure(p: Promise<unknown>): Promise<MailDeliveryError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MailDeliveryError);
  return err as MailDeliveryError;
}

describe('SmtpMailer', () => {
  it('delivers a message with the configured sender, logging in with the configured credentials', async () => {
    smtp = await startSmtpServer({ auth: { user: 'u@example.com', password: 'p@ss:w/rd' } });
    const mailer = new SmtpMailer(config(smtp.port, { user: 'u@example.com', password: 'p@ss:w/rd' }));
    await mailer.send({ to: 'bob@example.com', subject: 'Hello', text: 'Line one\nLine two\n' });
    expect(smtp.messages).toHaveLength(1);
    expect(smtp.messages[0]).toMatchObject({ from: 'cairn@example.com', to: ['bob@example.com'] });
    expect(mailHeader(smtp.messages[0]!.raw, 'Subject')).toBe('Hello');
    expect(mailBody(smtp.messages[0]!.raw)).toContain('Line one\nLine two');
    await mailer.verify();
  });

  it('a wrong password: "refused the login", and neither the password nor the AUTH line in the detail', async () => {
    smtp = await startSmtpServer({ auth: { user: 'u', password: 'right' } });
    const mailer = new SmtpMailer(config(smtp.port, { user: 'u', password: 'wrong-pw-5150' }));
    const err = await failure(mailer.send({ to: 'bob@example.com', subject: 's', text: 't' }));
    expect(err.reason).toBe('the mail server refused the login (535)');
    expect(err.detail).toMatchObject({ code: 'EAUTH', responseCode: 535 });
    const all = JSON.stringify({ message: err.message, detail: err.detail });
    expect(all).not.toContain('wrong-pw-5150');
    expect(all).not.toContain(Buffer.from('\u0000u\u0000wrong-pw-5150').toString('base64'));
    expect((await failure(mailer.verify())).reason).toBe('the mail server refused the login (535)');
  });

  it('a refused recipient: the reason and reply code; the address is not kept in the detail', async () => {
    smtp = await startSmtpServer({ refuseRecipients: true });
    const err = await failure(new SmtpMailer(config(smtp.port)).send({ to: 'bob@example.com', subject: 's', text: 't' }));
    expect(err.reason).toBe('the mail server refused the recipient address (550)');
    expect(err.detail).toMatchObject({ code: 'EENVELOPE', responseCode: 550 });
    expect(JSON.stringify(err.detail)).not.toContain('bob@example.com');
  });

  it('a server that accepts the connection but never greets: given up on after the greeting timeout', async () => {
    silent = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent!.listen(0, '127.0.0.1', () => resolve()));
    const port = (silent.address() as AddressInfo).port;
    const mailer = new SmtpMailer(config(port), { connectionMs: 300, greetingMs: 300, socketMs: 600 });
    const started = Date.now();
    const err = await failure(mailer.send({ to: 'bob@example.com', subject: 's', text: 't' }));
    expect(Date.now() - started).toBeLessThan(3000);
    expect(err.reason).toBe('the mail server did not answer in time');
  });

  it('nothing listening: "could not be reached"', async () => {
    const probe = await startSmtpServer();
    await probe.close();
    const err = await failure(new SmtpMailer(config(probe.port)).send({ to: 'bob@example.com', subject: 's', text: 't' }));
    expect(err.reason).toBe('the mail server could not be reached');
  });
});
