import { z } from 'zod';
import { exportHandler } from '../../rest/routes/export.js';
import { errorResponses } from '../../rest/views.js';
import type { DashboardApp, DashboardDeps } from '../types.js';

/** A workspace name as a file name part: lower-case ASCII letters and digits joined by `-` (`workspace` if none are left). */
export function workspaceSlug(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/, '');
  return slug === '' ? 'workspace' : slug;
}

/**
 * GET /v1/export: the session's workspace as Cairn JSONL (docs/import-export.md), the REST export's handler
 * downloaded as `cairn-<workspace name slug>.jsonl`. Every member may export (viewers too); a paused Dashboard
 * app cannot happen (it can never be paused), the rest is TransferService's.
 */
export function dashboardExport(app: DashboardApp, { transfer, users }: Pick<DashboardDeps, 'transfer' | 'users'>): void {
  app.get(
    '/v1/export',
    { schema: { response: { 200: z.string().describe('Cairn JSONL, one JSON object per line (application/x-ndjson).'), ...errorResponses } } },
    exportHandler(transfer, async (principal) => {
      const { workspace } = await users.describe(principal.userId, principal.workspaceId);
      return `cairn-${workspaceSlug(workspace.name)}.jsonl`;
    }),
  );
}
