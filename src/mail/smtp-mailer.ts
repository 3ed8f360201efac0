import nodemailer from 'nodemailer';
import type { MailConfig } from '../config/schema.js';
import { MailDeliveryError, type Mailer, type MailMessage } from '../core/mail/mailer.js';

/** Bounds on every step, so a mail server that hangs delays an invitation by seconds, never minutes. */
export interface SmtpTimeouts {
  readonly connectionMs: number;
  readonly greetingMs: number;
  readonly socketMs: number;
}

export const SMTP_TIMEOUTS: SmtpTimeouts = { connectionMs: 5000, greetingMs: 5000, socketMs: 10_000 };

/**
 * The mailer port over SMTP (nodemailer), one connection per message: invitations are rare, and a fresh
 * connection never inherits a broken one. The credentials go to nodemailer as fields, nodemailer's own
 * logging stays off, and every failure becomes a `MailDeliveryError` in fixed words, so neither the
 * password nor the message (which holds an invitation link) reaches a response or a log.
 */
export class SmtpMailer implements Mailer {
  private readonly transport: ReturnType<typeof nodemailer.createTransport>;

  constructor(
    private readonly config: MailConfig,
    timeouts: SmtpTimeouts = SMTP_TIMEOUTS,
  ) {
    const { host, port, secure, user, password } = config.smtp;
    this.transport = nodemailer.createTransport({
      host,
      port,
      secure,
      ...(user !== undefined ? { auth: { user, pass: password ?? '' } } : {}),
      connectionTimeout: timeouts.connectionMs,
      greetingTimeout: timeouts.greetingMs,
      socketTimeout: timeouts.socketMs,
      dnsTimeout: timeouts.connectionMs,
      logger: false,
      debug: false,
      // The message is text Cairn composed; nothing in it may make nodemailer read a file or fetch a URL.
      disableFileAccess: true,
      disableUrlAccess: true,
    });
  }

  async send(message: MailMessage): Promise<void> {
    try {
      await this.transport.sendMail({
        from: this.config.from,
        to: message.to,
        subject: message.subject,
        text: message.text,
        ...(message.html !== undefined ? { html: message.html } : {}),
      });
    } catch (err) {
      throw this.deliveryError(err);
    }
  }

  /** Connects, greets and (with credentials) logs in, then hangs up: `cairn doctor`'s check. */
  async verify(): Promise<void> {
    try {
      await this.transport.verify();
    } catch (err) {
      throw this.deliveryError(err);
    }
  }

  close(): void {
    this.transport.close();
  }

  private deliveryError(err: unknown): MailDeliveryError {
    const e = (err ?? {}) as { code?: unknown; responseCode?: unknown; command?: unknown; response?: unknown };
    const code = typeof e.code === 'string' ? e.code : undefined;
    const responseCode = typeof e.responseCode === 'number' ? e.responseCode : undefined;
    const command = typeof e.command === 'string' ? e.command : undefined;
    const detail: Record<string, string | number> = {};
    if (code) detail.code = code;
    if (responseCode !== undefined) detail.responseCode = responseCode;
    // AUTH commands carry the credentials (base64); only the verb is kept.
    if (command) detail.command = command.split(' ')[0]!.toUpperCase() === 'AUTH' ? 'AUTH' : command.replace(/<[^>]*>/g, '<…>').slice(0, 20);
    // The reply may name the recipient ("<bob@example.com>: Recipient address rejected"): the address goes too.
    if (typeof e.response === 'string') detail.response = this.scrub(e.response).replace(/<[^>]*>/g, '<…>').replace(/[^\s<>@]+@[^\s<>@]+/g, '…@…').slice(0, 200);
    return new MailDeliveryError(reasonFor(code, command, responseCode), detail);
  }

  /** A server reply is the server's text; should it ever echo a credential, the credential goes. */
  private scrub(text: string): string {
    const { user, password } = this.config.smtp;
    let out = text;
    for (const secret of [password, password && Buffer.from(password).toString('base64'), user && password && Buffer.from(`\u0000${user}\u0000${password}`).toString('base64')]) {
      if (secret) out = out.split(secret).join('[redacted]');
    }
    return out;
  }
}

/** A failure in words an inviter can act on; the SMTP reply code when the server gave one. */
function reasonFor(code: string | undefined, command: string | undefined, responseCode: number | undefined): string {
  const withCode = (text: string) => (responseCode !== undefined ? `${text} (${responseCode})` : text);
  const verb = command?.split(' ')[0]?.toUpperCase();
  switch (code) {
    case 'ECONNECTION':
    case 'ESOCKET':
      return 'the mail server could not be reached';
    case 'ETIMEDOUT':
      return 'the mail server did not answer in time';
    case 'EDNS':
      return "the mail server's host name could not be resolved";
    case 'ETLS':
    case 'EREQUIRETLS':
      return 'a secure connection to the mail server could not be made';
    case 'EAUTH':
      return withCode('the mail server refused the login');
    case 'ENOAUTH':
      return 'the mail server needs a login, and CAIRN_SMTP_URL has none';
    case 'EENVELOPE':
      return withCode(verb === 'MAIL' ? 'the mail server refused the sender address' : 'the mail server refused the recipient address');
    case 'EMESSAGE':
      return withCode('the mail server refused the message');
    case 'EPROTOCOL':
      return 'the mail server answered something that is not SMTP';
    default:
      return withCode('the mail could not be sent');
  }
}
