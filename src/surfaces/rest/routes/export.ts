import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Principal } from '../../../core/principal.js';
import { principalOf } from '../../auth-hook.js';
import type { RestApp, RouteDeps } from '../types.js';
import { errorResponses } from '../views.js';

/**
 * GET /v1/export: the principal's workspace as Cairn JSONL (docs/import-export.md), streamed page by page.
 * Scope and app checks run before the first byte, so a refusal is an ordinary JSON error.
 */
export function exportWorkspace(app: RestApp, { transfer }: Pick<RouteDeps, 'transfer'>): void {
  app.get(
    '/v1/export',
    {
      schema: {
        tags: ['transfer'],
        summary: 'Export the workspace (Cairn JSONL)',
        description: 'Streams application/x-ndjson: a header line, the apps, then each memory followed by its versions. Needs memories:read.',
        response: { 200: z.string().describe('Cairn JSONL, one JSON object per line (application/x-ndjson).'), ...errorResponses },
      },
    },
    exportHandler(transfer, () => 'cairn-export.jsonl'),
  );
}

/**
 * The export handler, shared with the dashboard's GET /v1/export (which names the file after the workspace):
 * the principal's workspace as a streamed Cairn JSONL attachment. The scope and app checks (and the file name)
 * come before the first byte, so a refusal is an ordinary JSON error.
 */
export function exportHandler(transfer: RouteDeps['transfer'], filenameOf: (principal: Principal) => string | Promise<string>) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<string> => {
    const principal = principalOf(req);
    const lines = await transfer.export(principal);
    const filename = await filenameOf(principal);
    const body = Readable.from(
      (async function* () {
        for await (const line of lines) yield `${line}\n`;
      })(),
    );
    // A stream is sent as is (no serializer); the 200 schema of the route only documents it, hence the cast.
    return reply.type('application/x-ndjson; charset=utf-8').header('content-disposition', `attachment; filename="${filename}"`).send(body) as unknown as string;
  };
}
