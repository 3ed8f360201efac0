import type { Command } from 'commander';
import { ROLES, type Role } from '../../core/users/user.js';
import { DEFAULT_INVITATION_HOURS, type WorkspaceActor } from '../../core/workspaces/workspace-service.js';
import { MAIL_NOT_CONFIGURED } from '../../core/mail/invitation-mail.js';
import type { CliContext } from '../context.js';
import { withRuntime } from '../context.js';
import { CliError } from '../explain-error.js';
import { formatJson, formatTable, formatTime } from '../format.js';

/** The CLI acts as a person (the audit log names them), with no credential and no app. */
function asCli(userId: string, workspaceId: string): WorkspaceActor {
  return { userId, workspaceId, credential: { kind: 'cli', id: null }, appId: null };
}

function parseRole(value: string): Role {
  if (!(ROLES as readonly string[]).includes(value)) throw new CliError(`--role must be one of ${ROLES.join(', ')} (got "${value}").`);
  return value as Role;
}

function parseHours(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`--expires-in-hours must be a whole number of hours (got "${value}").`);
  return n;
}

/** `cairn workspace create|list|invite`: shared workspaces, administered from the machine that runs Cairn. */
export function registerWorkspaceCommands(program: Command, ctx: CliContext): void {
  const workspace = program.command('workspace').description('Create and list shared workspaces, and invite people to them');

  workspace
    .command('create')
    .description('Create a shared workspace with an owner')
    .requiredOption('--owner <email>', 'the user who owns it')
    .requiredOption('--name <name>', 'the workspace’s name')
    .option('--json', 'print machine-readable JSON')
    .action(async (opts: { owner: string; name: string; json?: boolean }) => {
      await withRuntime(ctx, async ({ services }) => {
        const owner = await services.users.byEmail(opts.owner);
        const personal = await services.users.resolveWorkspace(owner.id);
        const created = await services.workspaces.create(asCli(owner.id, personal.id), { name: opts.name });
        if (opts.json) {
          ctx.out(formatJson({ id: created.id, name: created.name, kind: created.kind, owner: owner.email }));
          return;
        }
        ctx.out(
          `Created shared workspace "${created.name}" (${created.id}), owned by ${owner.email}.\n\n` +
            `Invite people:\n  npx cairn workspace invite --workspace ${created.id} --role member [--email someone@example.com]\n` +
            `Give an agent a key in it:\n  npx cairn key create --user ${owner.email} --workspace ${created.id} --name team-agent --scopes memories:read,memories:write\n`,
        );
      });
    });

  workspace
    .command('list')
    .description('List workspaces (all of them, or one user’s with their role)')
    .option('--user <email>', 'only the workspaces this user is a member of')
    .option('--json', 'print machine-readable JSON')
    .action(async (opts: { user?: string; json?: boolean }) => {
      await withRuntime(ctx, async ({ services }) => {
        if (opts.user !== undefined) {
          const user = await services.users.byEmail(opts.user);
          const mine = await services.users.workspacesOf(user.id);
          if (opts.json) {
            ctx.out(formatJson(mine.map((w) => ({ id: w.id, name: w.name, kind: w.kind, role: w.role, createdAt: formatTime(w.createdAt) }))));
            return;
          }
          ctx.out(formatTable(['ID', 'NAME', 'KIND', 'ROLE', 'CREATED'], mine.map((w) => [w.id, w.name, w.kind, w.role, formatTime(w.createdAt) ?? ''])));
          return;
        }
        const all = await services.workspaces.listAll();
        if (opts.json) {
          ctx.out(formatJson(all.map((w) => ({ id: w.id, name: w.name, kind: w.kind, members: w.members, createdAt: formatTime(w.createdAt) }))));
          return;
        }
        ctx.out(formatTable(['ID', 'NAME', 'KIND', 'MEMBERS', 'CREATED'], all.map((w) => [w.id, w.name, w.kind, String(w.members), formatTime(w.createdAt) ?? ''])));
      });
    });

  workspace
    .command('invite')
    .description('Print a one-time invitation link to a shared workspace (shown once); with --email, also mail it there when CAIRN_SMTP_URL is set')
    .requiredOption('--workspace <id>', 'the shared workspace')
    .requiredOption('--role <role>', `the role the invitee gets: ${ROLES.join(', ')}`, parseRole)
    .option('--email <email>', 'only the account with this email address may accept it (the link is mailed there when CAIRN_SMTP_URL is set)')
    .option('--expires-in-hours <hours>', `how long the link works (default ${DEFAULT_INVITATION_HOURS}, at most 720)`, parseHours)
    .option('--by <email>', 'who invites (an owner or admin of the workspace; default: its first owner)')
    .option('--json', 'print machine-readable JSON')
    .action(async (opts: { workspace: string; role: Role; email?: string; expiresInHours?: number; by?: string; json?: boolean }) => {
      await withRuntime(ctx, async ({ services }) => {
        const { members } = await services.workspaces.describe(opts.workspace);
        const inviter = opts.by !== undefined ? members.find((m) => m.email === opts.by!.trim().toLowerCase()) : members.find((m) => m.role === 'owner');
        if (!inviter) throw new CliError(opts.by !== undefined ? `${opts.by} is not a member of workspace ${opts.workspace}.` : `Workspace ${opts.workspace} has no owner.`);
        const { invitation, url, mailed, mailError } = await services.invitations.invite(asCli(inviter.userId, opts.workspace), {
          role: opts.role,
          ...(opts.email !== undefined ? { email: opts.email } : {}),
          ...(opts.expiresInHours !== undefined ? { expiresInHours: opts.expiresInHours } : {}),
        });
        if (opts.json) {
          ctx.out(
            formatJson({
              id: invitation.id,
              workspace: { id: invitation.workspace.id, name: invitation.workspace.name },
              role: invitation.role,
              email: invitation.email,
              expiresAt: formatTime(invitation.expiresAt),
              url,
              mailed,
              ...(mailError !== undefined ? { mailError } : {}),
            }),
          );
          return;
        }
        const mail = mailed
          ? `Mailed to ${invitation.email}. The link, should it need passing on by hand`
          : mailError === MAIL_NOT_CONFIGURED
            ? 'Mail is not configured (CAIRN_SMTP_URL), so send this link yourself'
            : mailError !== undefined
            ? `Could not mail it to ${invitation.email} (${mailError}): send this link yourself`
            : 'Send this link';
        ctx.out(
          `Invitation to "${invitation.workspace.name}" as ${invitation.role}${invitation.email ? ` for ${invitation.email}` : ''}, from ${inviter.email}.\n` +
            `${mail}; it works once, until ${formatTime(invitation.expiresAt)}, for someone signed in to Cairn:\n\n    ${url}\n\n` +
            `It is shown only now (Cairn keeps only a hash of it).\n`,
        );
      });
    });
}
