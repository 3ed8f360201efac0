import { FlushLoop } from '../flush-loop.js';
import type { AccessLog, AuditEvent, AuditStore } from './audit.js';

export interface BufferedAccessLogOptions {
  /** Flush early when this many events are waiting. */
  readonly maxBuffered: number;
  readonly onError?: (err: unknown, dropped: number) => void;
}

/**
 * Read events are buffered and appended in batches (on an interval, when the buffer fills, and at
 * shutdown), so a read request does not wait for a database write. If the store is down the events stay
 * buffered (up to 10× maxBuffered, then the oldest are dropped and reported) and go out when it returns.
 */
export class BufferedAccessLog implements AccessLog {
  private buffer: AuditEvent[] = [];
  private readonly loop = new FlushLoop(() => this.writeBuffered());

  constructor(
    private readonly store: Pick<AuditStore, 'append'>,
    private readonly options: BufferedAccessLogOptions = { maxBuffered: 1000 },
  ) {}

  record(event: AuditEvent): void {
    this.buffer.push(event);
    this.trimToCap();
    if (this.buffer.length >= this.options.maxBuffered && !this.loop.busy) void this.flush().catch(() => undefined);
  }

  get pending(): number {
    return this.buffer.length;
  }

  start(intervalMs: number): void {
    this.loop.start(intervalMs);
  }

  stop(): void {
    this.loop.stop();
  }

  /** Appends what is buffered. Concurrent calls share one append. */
  flush(): Promise<void> {
    return this.loop.flush();
  }

  private async writeBuffered(): Promise<void> {
    if (this.buffer.length === 0) return;
    const batch = this.buffer;
    this.buffer = [];
    try {
      await this.store.append(batch);
    } catch (err) {
      this.buffer = batch.concat(this.buffer);
      this.options.onError?.(err, 0);
      // The returned batch sits ahead of what arrived meanwhile, so the bound must be enforced again here.
      this.trimToCap();
      throw err;
    }
  }

  /** Drops the oldest events beyond 10 × maxBuffered and reports how many. */
  private trimToCap(): void {
    const cap = this.options.maxBuffered * 10;
    if (this.buffer.length <= cap) return;
    const dropped = this.buffer.length - cap;
    this.buffer.splice(0, dropped);
    this.options.onError?.(new Error('access log buffer full'), dropped);
  }
}
