import type { CliContext } from './context.js';

/**
 * A bar redrawn in place when stderr is a terminal; elsewhere a plain line about every tenth of the way, so a
 * log file gets a few lines rather than thousands. Always on stderr: stdout stays the command's result.
 */
export class Progress {
  private shown = 0;
  private lastLine = -1;

  constructor(
    private readonly ctx: CliContext,
    private readonly total: number,
    /** Prefix of the plain lines: `reindex: 40/400 (10%)`. */
    private readonly label: string,
    private readonly quiet = false,
  ) {}

  /** `by` more items handled. */
  advance(by: number): void {
    this.update(this.shown + by);
  }

  /** `done` items handled in all. */
  update(done: number): void {
    this.shown = Math.min(done, this.total);
    if (this.quiet || this.total === 0) return;
    const pct = Math.floor((this.shown / this.total) * 100);
    if (this.ctx.isTTY) {
      const width = 30;
      const filled = Math.round((this.shown / this.total) * width);
      this.ctx.err(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(pct).padStart(3)}% ${this.shown}/${this.total}`);
      return;
    }
    const tenth = Math.floor(pct / 10);
    if (tenth === this.lastLine) return;
    this.lastLine = tenth;
    this.ctx.err(`${this.label}: ${this.shown}/${this.total} (${pct}%)\n`);
  }

  /** Ends the bar's line on a terminal. */
  done(): void {
    if (!this.quiet && this.ctx.isTTY && this.total > 0) this.ctx.err('\n');
  }
}
