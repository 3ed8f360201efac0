import type { Readable } from 'node:stream';
import { z } from 'zod';
import { IMPORT_FORMATS } from '../../../core/transfer/format.js';
import { tooLarge } from '../../../core/transfer/lines.js';
import { principalOf } from '../../auth-hook.js';
import type { RestApp, RouteDeps } from '../types.js';
import { errorResponses } from '../views.js';

const Query = z.object({
  format: z.enum(IMPORT_FORMATS).optional().describe('auto (default: from the first non-blank line), cairn, openmemory or server-memory.'),
  onError: z.enum(['abort', 'skip']).optional().describe('abort (default): any bad line and nothing is imported; skip: import the valid lines, report the rest.'),
});

const LineErrorView = z.object({ line: z.number().int(), message: z.string() });

const Report = z
  .object({
    format: z.enum(['cairn', 'openmemory', 'server-memory']),
    created: z.number().int(),
    unchanged: z.number().int().describe('Memories the workspace already had (same id): left as they are.'),
    duplicates: z.number().int().describe('Memories whose text a live memory of the workspace already has.'),
    reattributed: z.number().int().describe('Memories whose author is not a member of this workspace: attributed to you.'),
    skipped: z.array(LineErrorView).describe('Bad lines left out (onError=skip), at most 100.'),
    skippedCount: z.number().int(),
    apps: z.array(z.object({ name: z.string(), access: z.enum(['full', 'read_only', 'paused']), created: z.boolean() })),
  })
  .meta({ id: 'ImportReport' });

/** The body types an import takes; each is handed over as the raw stream, read (and size-checked) by the import. */
const BODY_TYPES = ['application/x-ndjson', 'application/jsonl', 'application/json', 'text/plain'];

/**
 * POST /v1/import: a Cairn export, an OpenMemory/mem0 export or a server-memory graph into the principal's
 * workspace (docs/import-export.md). The body is streamed, never buffered by Fastify, and refused with 413 once
 * it passes CAIRN_IMPORT_MAX_BYTES. Registered in its own context so its raw-stream body parsers stay here.
 */
export function importWorkspace(app: RestApp, { transfer, importMaxBytes }: Pick<RouteDeps, 'transfer' | 'importMaxBytes'>): void {
  void app.register(async (scoped) => {
    const typed = scoped as unknown as RestApp;
    typed.removeContentTypeParser(['application/json', 'text/plain']);
    typed.addContentTypeParser(BODY_TYPES, (_req, payload, done) => done(null, payload));
    typed.post(
      '/v1/import',
      {
        schema: {
          tags: ['transfer'],
          summary: 'Import memories (Cairn JSONL, OpenMemory/mem0, server-memory)',
          description: `Body: application/x-ndjson (or application/json for an OpenMemory/mem0 JSON document), at most CAIRN_IMPORT_MAX_BYTES. Needs memories:write. All or nothing: written in one transaction.`,
          querystring: Query,
          consumes: BODY_TYPES,
          // Documents the body; validation passes the raw stream through untouched (it is read by the import).
          body: z.unknown().describe('Cairn JSONL (application/x-ndjson), an OpenMemory/mem0 export (JSON document or JSONL) or a server-memory graph (JSONL).'),
          response: { 200: Report, ...errorResponses },
        },
      },
      async (req) => {
        const declared = Number(req.headers['content-length']);
        if (Number.isFinite(declared) && declared > importMaxBytes) throw tooLarge(importMaxBytes);
        const body = (req.body ?? (async function* () {})()) as Readable | AsyncIterable<Uint8Array>;
        const report = await transfer.import(principalOf(req), body, {
          maxBytes: importMaxBytes,
          ...(req.query.format ? { format: req.query.format } : {}),
          ...(req.query.onError ? { onError: req.query.onError } : {}),
        });
        return { ...report, skipped: [...report.skipped], apps: [...report.apps] };
      },
    );
  });
}
