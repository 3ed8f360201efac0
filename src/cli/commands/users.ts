import type { Command } from 'commander';
import type { User } from '../../core/users/user.js';
import type { CliContext } from '../context.js';
import { withRuntime } from '../context.js';
import { CliError } from '../explain-error.js';
import { formatJson, formatTable, formatTime } from '../format.js';

/** `cairn user create|list`: accounts are administered from the machine that runs Cairn. */
export function registerUserCommands(program: Command, ctx: CliContext): void {
  const user = program.command('user').description('Create and list users, and send them setup links');

  user
    .command('create')
    .description('Create a user with a personal workspace')
    .requiredOption('--email <email>', 'the user’s email address (their login name)')
    .option('--name <name>', 'display name')
    .option('--admin', 'make the user an administrator')
    .option('--json', 'print machine-readable JSON')
    .action(async (opts: { email: string; name?: string; admin?: boolean; json?: boolean }) => {
      await withRuntime(ctx, async ({ services }) => {
        const { user: created, workspace } = await services.users.create({ email: opts.email, name: opts.name ?? null, isAdmin: opts.admin === true });
        // Passwords never go through the command line: the person chooses one on a one-time page.
        const link = await services.accounts.setPasswordLink(created);
        if (opts.json) {
          ctx.out(formatJson({ user: userJson(created), workspace: { id: workspace.id, name: workspace.name, kind: workspace.kind }, setupLink: linkJson(link) }));
          return;
        }
        ctx.out(
          `Created user ${created.email} (${created.id})${created.isAdmin ? ', administrator' : ''}.\n` +
            `Personal workspace: ${workspace.name} (${workspace.id})\n\n` +
            setupLinkText(link) +
            `\nNext, give an agent a key:\n` +
            `  npx cairn key create --user ${created.email} --name laptop-claude --scopes memories:read,memories:write\n`,
        );
      });
    });

  user
    .command('setup-link')
    .description('Print a new one-time link with which a user sets their password (a forgotten one, or an expired first link)')
    .requiredOption('--email <email>', 'the user’s email address')
    .option('--json', 'print machine-readable JSON')
    .action(async (opts: { email: string; json?: boolean }) => {
      await withRuntime(ctx, async ({ services }) => {
        const found = await services.users.byEmail(opts.email);
        if (found.disabledAt !== null) throw new CliError(`The user ${found.email} is disabled; enable them before sending a setup link.`);
        const link = await services.accounts.setPasswordLink(found);
        if (opts.json) {
          ctx.out(formatJson({ user: userJson(found), setupLink: linkJson(link) }));
          return;
        }
        ctx.out(setupLinkText(link) + 'Earlier links for this user no longer work; using this one ends the user’s browser sessions.\n');
      });
    });

  user
    .command('list')
    .description('List users')
    .option('--json', 'print machine-readable JSON')
    .action(async (opts: { json?: boolean }) => {
      await withRuntime(ctx, async ({ services }) => {
        const users = await services.users.list();
        if (opts.json) {
          ctx.out(formatJson(users.map(userJson)));
          return;
        }
        if (users.length === 0) {
          ctx.out('No users yet. Create one with: npx cairn user create --email you@example.com --admin\n');
          return;
        }
        ctx.out(
          formatTable(
            ['ID', 'EMAIL', 'NAME', 'ADMIN', 'STATUS', 'CREATED'],
            users.map((u) => [u.id, u.email, u.name ?? '', u.isAdmin ? 'yes' : 'no', u.disabledAt === null ? 'active' : 'disabled', formatTime(u.createdAt) ?? '']),
          ),
        );
      });
    });
}

/** The one-time set-password link, shown once like a key: only its hash is stored. */
function setupLinkText(link: { url: string; expiresAt: number }): string {
  return (
    `To sign in with a browser (needed to connect OAuth clients such as Claude.ai or ChatGPT), open this\n` +
    `one-time link and choose a password. It works once, until ${formatTime(link.expiresAt)}:\n\n` +
    `    ${link.url}\n`
  );
}

function linkJson(link: { url: string; expiresAt: number }) {
  return { url: link.url, expiresAt: formatTime(link.expiresAt) };
}

function userJson(u: User) {
  return { id: u.id, email: u.email, name: u.name, admin: u.isAdmin, disabledAt: formatTime(u.disabledAt), createdAt: formatTime(u.createdAt) };
}
