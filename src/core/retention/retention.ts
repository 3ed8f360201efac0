import type { AuditEvent, AuditStore } from '../audit/audit.js';
import type { Clock } from '../clock.js';

export const DAY_MS = 86_400_000;

/** How long deleted memories and audit events are kept (CAIRN_DELETED_RETENTION_DAYS, CAIRN_AUDIT_RETENTION_DAYS). */
export interface RetentionPolicy {
  /** A deleted memory can be restored for this many days after its deletion, and is purged after them (at least 1). */
  readonly deletedMemoryDays: number;
  /** Audit events older than this many days are purged; 0 keeps them forever. */
  readonly auditDays: number;
}

/** The moment before which a memory deleted then can no longer be restored (and is purged by the next sweep). */
export function restorableSince(policy: Pick<RetentionPolicy, 'deletedMemoryDays'>, now: number): number {
  return now - policy.deletedMemoryDays * DAY_MS;
}

/**
 * The purge side of storage. Each call is one transaction of at most `limit` rows and is safe to run from
 * several instances at once; it returns how many rows it removed (0 when nothing is left).
 */
export interface RetentionStore {
  /** Hard-deletes memories in state `deleted` whose deletion (`updatedAt`) is before `before`, with their vectors, jobs, search rows and versions. */
  purgeDeletedMemories(before: number, limit: number): Promise<number>;
  /** Deletes audit events whose `at` is before `before`, every workspace's and the server's own. */
  purgeAuditEvents(before: number, limit: number): Promise<number>;
}

export interface SweepReport {
  /** Deleted memories purged (deleted before `memoriesDeletedBefore`). */
  readonly memories: number;
  readonly memoriesDeletedBefore: number;
  /** Audit events purged (older than `auditBefore`); 0 with `auditBefore` null when the log is kept forever. */
  readonly auditEvents: number;
  readonly auditBefore: number | null;
}

export interface SweeperOptions {
  /** Rows per transaction. */
  readonly batchSize?: number;
  /** Told of a failed periodic sweep; the next one retries. */
  readonly onError?: (err: unknown) => void;
}

export const DEFAULT_PURGE_BATCH = 500;

/**
 * Purges what the retention policy no longer keeps, in batches, and records one `retention.purge` audit event per
 * sweep that removed something. The rule is by time, not by sweep: restore refuses an expired memory whether or not
 * a sweep has run yet (MemoryService), so the sweep's timing only decides when the rows actually go.
 */
export class RetentionSweeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<SweepReport> | undefined;
  private stopped = true;
  private closing = false;
  private readonly batchSize: number;

  constructor(
    private readonly store: RetentionStore,
    private readonly audit: Pick<AuditStore, 'append'>,
    private readonly clock: Clock,
    private readonly policy: RetentionPolicy,
    private readonly options: SweeperOptions = {},
  ) {
    this.batchSize = options.batchSize ?? DEFAULT_PURGE_BATCH;
  }

  /**
   * One sweep now (a sweep already under way is shared, not doubled). `actor` is who ran it, for the
   * `retention.purge` event: the server's schedule (null) or `cairn retention run` ('cli').
   */
  sweep(actor: 'cli' | null = null): Promise<SweepReport> {
    this.running ??= this.sweepOnce(actor).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Sweeps `firstDelayMs` from now, then every `intervalMs`; a failed sweep is reported to `onError` and retried at the next. */
  start(firstDelayMs: number, intervalMs: number): void {
    this.stop();
    this.stopped = false;
    const tick = (delay: number) => {
      this.timer = setTimeout(() => {
        void this.sweep()
          .catch((err: unknown) => this.options.onError?.(err))
          .finally(() => {
            if (!this.stopped) tick(intervalMs);
          });
      }, delay);
      this.timer.unref();
    };
    tick(firstDelayMs);
  }

  /** Stops the schedule (a sweep under way runs to its end). */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Stops, lets a sweep under way end after its current batch, and waits for it (its error, if any, was already reported). */
  async close(): Promise<void> {
    this.closing = true;
    this.stop();
    try {
      await this.running?.catch(() => undefined);
    } finally {
      this.closing = false;
    }
  }

  private async sweepOnce(actor: 'cli' | null): Promise<SweepReport> {
    const now = this.clock.now();
    const memoriesDeletedBefore = restorableSince(this.policy, now);
    const auditBefore = this.policy.auditDays > 0 ? now - this.policy.auditDays * DAY_MS : null;
    const memories = await this.drain((limit) => this.store.purgeDeletedMemories(memoriesDeletedBefore, limit));
    const auditEvents = auditBefore === null ? 0 : await this.drain((limit) => this.store.purgeAuditEvents(auditBefore, limit));
    const report: SweepReport = { memories, memoriesDeletedBefore, auditEvents, auditBefore };
    if (memories > 0 || auditEvents > 0) await this.audit.append([purgeEvent(report, this.policy, this.clock.now(), actor)]);
    return report;
  }

  /** Batches until one comes back short; `close` (server shutdown) ends the loop after the current batch. */
  private async drain(batch: (limit: number) => Promise<number>): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await batch(this.batchSize);
      total += n;
      if (n < this.batchSize) return total;
      if (this.closing) return total;
    }
  }
}

function purgeEvent(report: SweepReport, policy: RetentionPolicy, at: number, actor: 'cli' | null): AuditEvent {
  return {
    at,
    workspaceId: null,
    userId: null,
    credentialKind: actor,
    credentialId: null,
    appId: null,
    action: 'retention.purge',
    targetId: null,
    requestId: null,
    detail: {
      memories: report.memories,
      auditEvents: report.auditEvents,
      deletedRetentionDays: policy.deletedMemoryDays,
      auditRetentionDays: policy.auditDays,
    },
  };
}
