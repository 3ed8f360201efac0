/**
 * The write side shared by everything Cairn buffers off the request path (key usage, read audit): a
 * batch write on an interval, on demand, and at shutdown, with at most one write in flight. Concurrent
 * `flush()` calls share that write. `writeOnce` takes what is pending and, on failure, puts it back
 * before rejecting, so nothing is lost and the next flush retries it.
 */
export class FlushLoop {
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;

  constructor(private readonly writeOnce: () => Promise<void>) {}

  /** True while a write is under way. */
  get busy(): boolean {
    return this.inFlight !== undefined;
  }

  start(intervalMs: number): void {
    this.stop();
    // A failed periodic write is already reported by writeOnce and retried on the next tick.
    this.timer = setInterval(() => void this.flush().catch(() => undefined), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  flush(): Promise<void> {
    this.inFlight ??= this.writeOnce().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }
}
