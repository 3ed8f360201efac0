import type { Role } from '../users/user.js';
import { invitationUrl, type WorkspaceActor, type WorkspaceService } from '../workspaces/workspace-service.js';
import type { InvitationDetails } from '../workspaces/workspace.js';
import { MailDeliveryError, type Mailer, type MailMessage } from './mailer.js';

/** What each role may do, in the words of the invitation mail. */
const ROLE_WORDS: Readonly<Record<Role, string>> = {
  owner: 'owner (everything, including deleting the workspace)',
  admin: 'admin (read and write memories, manage members and apps)',
  member: 'member (read and write memories)',
  viewer: 'viewer (read memories)',
};

export const MAIL_NOT_CONFIGURED = 'mail is not configured';

/** An invitation as created, with its link (shown once), and whether it was mailed to its address. */
export interface SentInvitation {
  readonly invitation: InvitationDetails;
  readonly token: string;
  readonly url: string;
  /** True once the mail server accepted the message for the invitation's address. */
  readonly mailed: boolean;
  /** Why it was not mailed, when it has an address: not configured, or the server's refusal in fixed words. */
  readonly mailError?: string;
}

/** What a failed send reports; pino's `logger.warn(obj, msg)` fits. */
export interface MailLog {
  warn(detail: object, message: string): void;
}

/**
 * Invitations by email address (issue 5). The invitation is created first, in its own transaction (the
 * workspace service); then, when it is bound to an address and mail is configured, its link is mailed to
 * that address and to no other. Mail is best effort: a failure loses nothing, the caller still gets the
 * link (to pass on by hand) with `mailed: false` and the reason, and the log gets a warning without the
 * token, the link or the address.
 */
export class InvitationSender {
  constructor(
    private readonly workspaces: Pick<WorkspaceService, 'invite'>,
    private readonly mailer: Mailer | undefined,
    private readonly publicUrl: string,
    private readonly log: MailLog,
  ) {}

  /** Whether invitations with an address are mailed (CAIRN_SMTP_URL is set). */
  get mailConfigured(): boolean {
    return this.mailer !== undefined;
  }

  async invite(actor: WorkspaceActor, input: { role: Role; email?: string | null; expiresInHours?: number }): Promise<SentInvitation> {
    const { invitation, token } = await this.workspaces.invite(actor, input);
    const url = invitationUrl(this.publicUrl, token);
    if (invitation.email === null) return { invitation, token, url, mailed: false };
    if (!this.mailer) return { invitation, token, url, mailed: false, mailError: MAIL_NOT_CONFIGURED };
    try {
      await this.mailer.send(invitationMessage(invitation, invitation.email, url));
      return { invitation, token, url, mailed: true };
    } catch (err) {
      const reason = err instanceof MailDeliveryError ? err.reason : 'the mail could not be sent';
      const detail = err instanceof MailDeliveryError ? err.detail : { error: err instanceof Error ? err.name : typeof err };
      this.log.warn({ invitationId: invitation.id, workspaceId: invitation.workspaceId, reason, ...detail }, 'could not mail an invitation; the inviter was given the link to pass on');
      return { invitation, token, url, mailed: false, mailError: reason };
    }
  }
}

/** The invitation mail: who invites, to which workspace, with which role, until when; and the link. */
export function invitationMessage(invitation: InvitationDetails, to: string, url: string): MailMessage {
  const inviter = invitation.createdBy.name ? `${oneLine(invitation.createdBy.name)} (${invitation.createdBy.email})` : invitation.createdBy.email;
  const workspace = oneLine(invitation.workspace.name);
  const until = new Date(invitation.expiresAt).toISOString().replace('T', ' ').replace(/:\d\d\.\d{3}Z$/, ' UTC');
  return {
    to,
    subject: `${inviter} invites you to "${workspace}" on Cairn`,
    text:
      `${inviter} invites you to join the workspace "${workspace}" on Cairn as ${ROLE_WORDS[invitation.role]}.\n\n` +
      `Open this link to accept. It works once, until ${until}, for the Cairn account with the address ${to} (sign in or create that account when it asks):\n\n` +
      `${url}\n\n` +
      `Do not forward this mail: the link is the invitation. If you did not expect it, ignore it; the invitation expires on its own.\n`,
  };
}

/** Names typed by people go into a header: no line breaks or other control characters there. */
function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
}
