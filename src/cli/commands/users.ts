import type { Command } from 'commander';
import type { User } from '../../core/users/user.js';
import type { CliContext } from '../context.js';
import { withRuntime } from '../context.js';
import { formatJson, formatTable, formatTime } from '../format.js';

/** `cairn user create|list`: accounts are administered from the machine that runs Cairn. */
export function registerUserCommands(program: Command, ctx: CliContext): void {
  const user = program.command('user').description('Create and list users');

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
        if (opts.json) {
          ctx.out(formatJson({ user: userJson(created), workspace: { id: workspace.id, name: workspace.name, kind: workspace.kind } }));
          return;
        }
        ctx.out(
          `Created user ${created.email} (${created.id})${created.isAdmin ? ', administrator' : ''}.\n` +
            `Personal workspace: ${workspace.name} (${workspace.id})\n\n` +
            `Next, give an agent a key:\n` +
            `  npx cairn key create --user ${created.email} --name laptop-claude --scopes memories:read,memories:write\n`,
        );
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

function userJson(u: User) {
  return { id: u.id, email: u.email, name: u.name, admin: u.isAdmin, disabledAt: formatTime(u.disabledAt), createdAt: formatTime(u.createdAt) };
}
