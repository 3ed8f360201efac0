import type { Command } from 'commander';
import { DEFAULT_VERIFY_WINDOW_MS } from '../../oauth/signing-keys.js';
import { withRuntime, type CliContext } from '../context.js';
import { formatJson, formatTable, formatTime } from '../format.js';

/**
 * `cairn keys rotate-signing | list-signing`: the keys that sign OAuth access tokens (`cairn key …` is API
 * keys). A rotation takes effect on running servers within 30 s; tokens signed with a retired key keep
 * verifying for the window, so no connected app notices.
 */
export function registerSigningKeyCommands(program: Command, ctx: CliContext): void {
  const keys = program.command('keys').description('Manage the keys that sign OAuth access tokens');

  keys
    .command('rotate-signing')
    .description('Create a new signing key for OAuth access tokens and retire the current one')
    .option('--json', 'print machine-readable JSON')
    .action(async (opts: { json?: boolean }) => {
      await withRuntime(ctx, async ({ services }) => {
        const { kid, retired } = await services.oauth.keys.rotate();
        if (opts.json) {
          ctx.out(formatJson({ kid, retired }));
          return;
        }
        const window = DEFAULT_VERIFY_WINDOW_MS / 60_000;
        ctx.out(
          `New signing key ${kid}.\n` +
            (retired.length > 0 ? `Retired ${retired.join(', ')}: still published at /jwks for ${window} minutes, so tokens it signed keep working until they expire.\n` : '') +
            'Running Cairn servers sign with the new key within 30 s; nothing needs restarting.\n',
        );
      });
    });

  keys
    .command('list-signing')
    .description('List the OAuth signing keys (public information only)')
    .option('--json', 'print machine-readable JSON')
    .action(async (opts: { json?: boolean }) => {
      await withRuntime(ctx, async ({ services }) => {
        const list = await services.oauth.keys.list();
        if (opts.json) {
          ctx.out(formatJson(list.map((k) => ({ kid: k.kid, status: k.status, createdAt: formatTime(k.createdAt), retiredAt: formatTime(k.retiredAt) }))));
          return;
        }
        if (list.length === 0) {
          ctx.out('No signing key yet: the server creates one when it first issues a token.\n');
          return;
        }
        ctx.out(formatTable(['KID', 'STATUS', 'CREATED', 'RETIRED'], list.map((k) => [k.kid, k.status, formatTime(k.createdAt) ?? '', formatTime(k.retiredAt) ?? '-'])));
      });
    });
}
