/** One message to one address. `text` always; `html` when a richer version exists. */
export interface MailMessage {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html?: string;
}

/**
 * The port outgoing mail goes through (src/mail/smtp-mailer.ts implements it over SMTP). `send` resolves
 * once the server accepted the message, or rejects with a `MailDeliveryError`.
 */
export interface Mailer {
  send(message: MailMessage): Promise<void>;
}

/**
 * Why a message was not sent. `reason` is fixed wording, fit to show the person who asked for the mail
 * ("the mail server refused the recipient address (550)"); `detail` is for the server log (error code, SMTP
 * command and reply). Neither ever holds the server's credentials or the message itself.
 */
export class MailDeliveryError extends Error {
  override readonly name = 'MailDeliveryError';
  constructor(
    readonly reason: string,
    readonly detail: Readonly<Record<string, string | number>> = {},
  ) {
    super(reason);
  }
}
