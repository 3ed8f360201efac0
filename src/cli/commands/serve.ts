import type { Command } from 'commander';
import type { CliContext } from '../context.js';

/** `cairn serve`: the same server `npm start` runs. It reports its own start-up failures and exit code. */
export function registerServeCommand(program: Command, ctx: CliContext, onServing: () => void): void {
  program
    .command('serve')
    .description('Run the Cairn server (what npm start runs); stop it with Ctrl-C or SIGTERM')
    .action(async () => {
      onServing();
      // Loaded on demand: the HTTP stack (Fastify, the MCP SDK) is most of the start-up time, and the
      // one-shot commands never need it.
      const { serve } = await import('../../main.js');
      await serve(ctx.env);
    });
}
