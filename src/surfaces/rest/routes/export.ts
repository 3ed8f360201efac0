import { Readable } from 'node:stream';
import { z } from 'zod';
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
    async (req, reply) => {
      const lines = await transfer.export(principalOf(req));
      const body = Readable.from(
        (async function* () {
          for await (const line of lines) yield `${line}\n`;
        })(),
      );
      // A stream is sent as is (no serializer); the 200 schema above only documents it.
      return reply.type('application/x-ndjson; charset=utf-8').header('content-disposition', 'attachment; filename="cairn-export.jsonl"').send(body as unknown as string);
    },
  );
}
