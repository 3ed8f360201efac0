import { AppError } from '../../errors/app-error.js';
import type { AppAccessGuard } from '../apps/app-access-guard.js';
import { DASHBOARD_APP_NAME } from '../apps/app-controls.js';
import { principalEvent } from '../audit/audit.js';
import type { Clock } from '../clock.js';
import { requireScopes, type CredentialKind, type Principal } from '../principal.js';
import { appLine, headerLine, memoryLine, parseImport, versionLine, type ImportFormat, type LineError, type ParsedImport } from './format.js';
import { readLines } from './lines.js';
import type { ImportOutcome, TransferStore } from './transfer-store.js';

/** Memories read per export page: a workspace of any size streams in bounded memory. */
export const EXPORT_PAGE = 500;
/** Bad lines listed in an error or a report; the count says how many there were in all. */
export const MAX_LISTED_ERRORS = 100;

/**
 * Who exports or imports: a credential's principal, or the CLI acting for a member on the server machine
 * (credential kind `cli`, no credential id).
 */
export type TransferPrincipal = Omit<Principal, 'credential'> & { readonly credential: { readonly kind: CredentialKind | 'cli'; readonly id: string | null } };

export interface ImportOptions {
  readonly format?: ImportFormat;
  /** `abort` (default): any bad line and nothing is written. `skip`: the good lines are imported, the bad reported. */
  readonly onError?: 'abort' | 'skip';
  readonly maxBytes: number;
  /** Hears the parsed total once, then how many memories have been handled. */
  readonly progress?: (done: number, total: number) => void;
}

export interface ImportReport extends ImportOutcome {
  readonly format: ParsedImport['format'];
  /** Bad lines left out (with `onError: 'skip'`), at most MAX_LISTED_ERRORS of them. */
  readonly skipped: readonly LineError[];
  readonly skippedCount: number;
}

/**
 * Export and import of a whole workspace (docs/import-export.md). Export streams the principal's workspace
 * as Cairn JSONL, page by page; import reads Cairn JSONL or another system's export, checks every line
 * before writing anything, and writes in one transaction, idempotently.
 */
export class TransferService {
  constructor(
    private readonly store: TransferStore,
    private readonly appAccess: Pick<AppAccessGuard, 'require'>,
    private readonly clock: Clock,
  ) {}

  /**
   * Checks the principal may read and records the export, then returns its lines (without newlines). The
   * checks run before the first line, so a refusal is an ordinary error, never a cut stream.
   */
  async export(principal: TransferPrincipal): Promise<AsyncIterable<string>> {
    requireScopes(principal as Principal, 'memories:read');
    await this.appAccess.require(principal as Principal, 'read');
    await this.store.appendAudit(principalEvent(principal, 'memories.export', null, this.clock.now(), { format: 'cairn', version: 1 }));
    const store = this.store;
    const scope = { workspaceId: principal.workspaceId };
    return (async function* lines() {
      yield headerLine();
      for (const app of await store.apps(scope)) yield appLine(app);
      let after: { createdAt: number; id: string } | null = null;
      for (;;) {
        const page = await store.memoriesPage(scope, after, EXPORT_PAGE);
        if (page.length === 0) return;
        const versions = await store.versionsOf(scope, page.map((m) => m.id));
        for (const m of page) {
          yield memoryLine(m);
          for (const v of versions.get(m.id) ?? []) yield versionLine(v);
        }
        const last = page[page.length - 1]!;
        after = { createdAt: last.createdAt, id: last.id };
        if (page.length < EXPORT_PAGE) return;
      }
    })();
  }

  async import(principal: TransferPrincipal, source: AsyncIterable<Uint8Array | string>, options: ImportOptions): Promise<ImportReport> {
    requireScopes(principal as Principal, 'memories:write');
    await this.appAccess.require(principal as Principal, 'write');
    const now = this.clock.now();
    const parsed = parseImport(await readLines(source, options.maxBytes), options.format ?? 'auto', now);
    const onError = options.onError ?? 'abort';
    if (parsed.errors.length > 0 && onError === 'abort') {
      const n = parsed.errors.length;
      const first = parsed.errors[0]!;
      throw new AppError(
        'IMPORT_INVALID',
        `Nothing was imported: ${n} line${n === 1 ? ' is' : 's are'} invalid (first: line ${first.line}, ${first.message}). Fix ${n === 1 ? 'it' : 'them'}, or import the valid lines only (onError=skip, or --skip-bad-lines).`,
        { format: parsed.format, errorCount: n, errors: parsed.errors.slice(0, MAX_LISTED_ERRORS) },
      );
    }
    const total = parsed.memories.length;
    options.progress?.(0, total);
    const outcome = await this.store.importAll(
      principal,
      {
        // The dashboard's app can never be paused or limited (app-controls.ts); a file cannot do it either.
        apps: parsed.apps.map((a) => (a.name === DASHBOARD_APP_NAME ? { ...a, access: 'full' as const } : a)),
        memories: parsed.memories, fallbackUserId: principal.userId,
        fallbackAppId: principal.appId,
        now,
      },
      (o) =>
        principalEvent(principal, 'memories.import', null, now, {
          format: parsed.format,
          created: o.created,
          unchanged: o.unchanged,
          duplicates: o.duplicates,
          reattributed: o.reattributed,
          skipped: parsed.errors.length,
          appsCreated: o.apps.filter((a) => a.created).length,
        }),
      options.progress ? (done) => options.progress?.(done, total) : undefined,
    );
    return { format: parsed.format, ...outcome, skipped: parsed.errors.slice(0, MAX_LISTED_ERRORS), skippedCount: parsed.errors.length };
  }
}
