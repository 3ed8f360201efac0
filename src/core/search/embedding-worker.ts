import type { Clock } from '../clock.js';
import { EmbedderRequestError, EmbedderUnavailableError, normalise, type Embedder } from './embedder.js';

/** A claimed job: the memory's text as it was when claimed, leased to this worker until `leasedUntil`. */
export interface EmbeddingJob {
  readonly memoryId: string;
  readonly workspaceId: string;
  readonly attempts: number;
  readonly content: string;
  readonly contentHash: string;
  readonly leasedUntil: number;
}

/**
 * The durable embedding queue (the `embedding_jobs` table). Jobs are written by the memory store in the
 * transaction that creates a memory or changes its text, so a crash never loses one.
 */
export interface EmbeddingQueue {
  /**
   * Leases up to `limit` due jobs (next attempt at or before `now`) until `leasedUntil`, so another worker
   * (another instance) skips them; a worker that dies lets its lease run out and the job is claimed again.
   * Jobs of deleted memories are dropped here, not returned.
   */
  claim(now: number, limit: number, leasedUntil: number): Promise<EmbeddingJob[]>;
  /**
   * Stores each vector and removes its job, in one transaction, unless the memory's text changed since
   * the claim (its new text has a new job) or it was deleted. Returns how many vectors were stored.
   */
  complete(done: readonly { job: EmbeddingJob; vector: Float32Array }[], model: { id: string; dimensions: number }, now: number): Promise<number>;
  /** Records a failed attempt: attempts + 1, the error, and when to try again. */
  fail(jobs: readonly EmbeddingJob[], error: string, nextAttemptAt: number): Promise<void>;
  /** Jobs waiting (due or backing off), in one workspace or all. */
  pending(workspaceId?: string): Promise<number>;
}

/** What the worker reports; pino's `logger.warn(obj, msg)` fits. */
export interface WorkerLog {
  warn(detail: object, message: string): void;
}

export interface EmbeddingWorkerOptions {
  /** Texts per embedder call. */
  readonly batchSize?: number;
  /** How long a claimed job is reserved for this worker. Longer than an embedder call can take. */
  readonly leaseMs?: number;
  /** Retry delay after the first failure, doubled per attempt up to `maxBackoffMs`. */
  readonly backoffMs?: number;
  readonly maxBackoffMs?: number;
  readonly log?: WorkerLog;
}

export interface BatchReport {
  readonly claimed: number;
  readonly embedded: number;
  readonly failed: number;
}

/**
 * Fills in vectors off the request path: claims due jobs in batches, embeds their text through the
 * `Embedder` port, stores the vectors. When the embedder is unavailable the jobs back off exponentially
 * (1 s, 2 s, 4 s … capped at 10 minutes) and writes keep succeeding meanwhile: the vectors arrive later.
 * One bad text in a batch does not hold back the others: a batch the provider refuses
 * (`EmbedderRequestError`) is retried one text at a time, and only the texts that fail again back off.
 * Any other failure (provider down, misconfigured) backs off the whole batch.
 */
export class EmbeddingWorker {
  private readonly batchSize: number;
  private readonly leaseMs: number;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = true;

  constructor(
    private readonly queue: EmbeddingQueue,
    private readonly embedder: Embedder,
    private readonly clock: Clock,
    private readonly options: EmbeddingWorkerOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 32;
    this.leaseMs = options.leaseMs ?? 120_000;
    this.backoffMs = options.backoffMs ?? 1000;
    this.maxBackoffMs = options.maxBackoffMs ?? 600_000;
  }

  /** Polls every `intervalMs`; after a full batch it continues at once, so a backlog drains quickly. */
  start(intervalMs: number): void {
    this.stop();
    this.stopped = false;
    const tick = async () => {
      let report: BatchReport | undefined;
      try {
        report = await this.runOnce();
      } catch (err) {
        this.options.log?.warn({ err }, 'embedding worker: could not read the embedding queue; will retry');
      }
      if (this.stopped) return;
      this.timer = setTimeout(() => void tick(), report && report.claimed === this.batchSize ? 0 : intervalMs);
      this.timer.unref();
    };
    this.timer = setTimeout(() => void tick(), intervalMs);
    this.timer.unref();
  }

  /** Stops polling; `close` also waits for the batch under way. Pending jobs stay queued for the next start. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  async close(): Promise<void> {
    this.stop();
    await this.running?.catch(() => undefined);
  }

  /** Claims and processes one batch. At most one batch runs at a time; a concurrent call waits for it. */
  async runOnce(): Promise<BatchReport> {
    while (this.running) await this.running.catch(() => undefined);
    const run = this.processBatch();
    this.running = run;
    try {
      return await run;
    } finally {
      this.running = undefined;
    }
  }

  /**
   * Processes batches until no job is due (jobs backing off are left for later). For `cairn reindex`, the
   * retrieval bench and tests; `onBatch` sees each batch's report and stops the drain by returning false.
   */
  async drain(onBatch?: (report: BatchReport) => boolean | void): Promise<void> {
    for (;;) {
      const report = await this.runOnce();
      if (report.claimed === 0) return;
      if (onBatch?.(report) === false) return;
    }
  }

  private async processBatch(): Promise<BatchReport> {
    const now = this.clock.now();
    const jobs = await this.queue.claim(now, this.batchSize, now + this.leaseMs);
    if (jobs.length === 0) return { claimed: 0, embedded: 0, failed: 0 };
    try {
      const vectors = await this.embed(jobs);
      const embedded = await this.queue.complete(jobs.map((job, i) => ({ job, vector: vectors[i]! })), this.embedder, this.clock.now());
      return { claimed: jobs.length, embedded, failed: 0 };
    } catch (err) {
      if (!(err instanceof EmbedderRequestError) || jobs.length === 1) {
        await this.backOff(jobs, err);
        return { claimed: jobs.length, embedded: 0, failed: jobs.length };
      }
      return this.oneByOne(jobs);
    }
  }

  private async oneByOne(jobs: readonly EmbeddingJob[]): Promise<BatchReport> {
    let embedded = 0;
    let failed = 0;
    for (const job of jobs) {
      try {
        const [vector] = await this.embed([job]);
        embedded += await this.queue.complete([{ job, vector: vector! }], this.embedder, this.clock.now());
      } catch (err) {
        failed++;
        await this.backOff([job], err);
      }
    }
    return { claimed: jobs.length, embedded, failed };
  }

  private async embed(jobs: readonly EmbeddingJob[]): Promise<Float32Array[]> {
    const vectors = await this.embedder.embed(jobs.map((j) => j.content));
    if (vectors.length !== jobs.length) throw new Error(`the embedder returned ${vectors.length} vectors for ${jobs.length} texts`);
    return vectors.map((v) => {
      if (v.length !== this.embedder.dimensions) throw new Error(`the embedder returned a vector of ${v.length} dimensions, expected ${this.embedder.dimensions}`);
      return normalise(v);
    });
  }

  private async backOff(jobs: readonly EmbeddingJob[], err: unknown): Promise<void> {
    // Jobs of one batch share their attempt count closely enough: the delay follows the most-tried job.
    const attempts = Math.max(...jobs.map((j) => j.attempts)) + 1;
    const delay = Math.min(this.backoffMs * 2 ** Math.min(attempts - 1, 30), this.maxBackoffMs);
    const message = err instanceof Error ? err.message : String(err);
    await this.queue.fail(jobs, message.slice(0, 1000), this.clock.now() + delay);
    this.options.log?.warn(
      { jobs: jobs.length, attempts, retryInMs: delay, err: message, unavailable: err instanceof EmbedderUnavailableError },
      'embedding failed; memories stay searchable by text and will be embedded on retry',
    );
  }
}
