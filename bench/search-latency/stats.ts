import { loadavg } from 'node:os';

/** Latency percentiles of one phase, in milliseconds. */
export interface Latency {
  readonly n: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
  /** 1-minute load average at the start and at the end of the phase: how busy the shared machine was. */
  readonly load: readonly [number, number];
}

/** Nearest-rank percentiles (p99 of 600 samples is the 594th smallest). */
export function summarise(samples: readonly number[], loadBefore: number): Latency {
  const s = [...samples].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
  return {
    n: s.length,
    p50: at(50),
    p90: at(90),
    p99: at(99),
    max: s[s.length - 1]!,
    mean: s.reduce((a, b) => a + b, 0) / s.length,
    load: [loadBefore, loadavg()[0]!],
  };
}

export const load1 = () => loadavg()[0]!;

/**
 * One timed phase, whatever a call is (a service call or an MCP request): the first 50 queries untimed as
 * a warm-up, then `passes` timed passes one call at a time, cut short after `phaseSeconds`.
 */
export async function timeCalls(
  call: (query: string) => Promise<unknown>,
  asked: readonly string[],
  options: { readonly passes: number; readonly phaseSeconds: number },
): Promise<Latency> {
  for (const query of asked.slice(0, 50)) await call(query);
  const before = load1();
  const samples: number[] = [];
  const deadline = performance.now() + options.phaseSeconds * 1000;
  for (let pass = 0; pass < options.passes && performance.now() < deadline; pass++) {
    for (const query of asked) {
      const t0 = performance.now();
      await call(query);
      samples.push(performance.now() - t0);
    }
  }
  return summarise(samples, before);
}
