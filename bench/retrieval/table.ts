import type { Aggregate, SystemResult } from './metrics.js';

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const ms = (x: number) => (x < 10 ? x.toFixed(2) : x.toFixed(1));

function label(r: SystemResult): string {
  return r.variant === 'as-is' ? r.system : `${r.system} [${r.variant}]`;
}

function row(cells: readonly string[], widths: readonly number[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
}

function render(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const lines = [row(header, widths), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map((r) => row(r, widths))];
  return lines.join('\n');
}

/** One block per system: each category and overall, with recall@5, recall@10 and MRR. */
export function categoryTable(result: SystemResult): string {
  const cells = (name: string, a: Aggregate) => [name, String(a.n), pct(a.recallAt5), pct(a.recallAt10), a.mrr.toFixed(3)];
  const rows = [...Object.entries(result.byCategory).map(([name, a]) => cells(name, a)), cells('overall', result.overall)];
  return `${label(result)}\n${render(['category', 'n', 'recall@5', 'recall@10', 'MRR'], rows)}`;
}

/** One line per system: overall quality and search latency. */
export function summaryTable(results: readonly SystemResult[]): string {
  const rows = results.map((r) => [
    label(r),
    pct(r.overall.recallAt5),
    pct(r.overall.recallAt10),
    r.overall.mrr.toFixed(3),
    ...Object.values(r.byCategory).map((a) => pct(a.recallAt10)),
    ms(r.latencyMs.p50),
    ms(r.latencyMs.p99),
  ]);
  const categories = Object.keys(results[0]?.byCategory ?? {}).map((c) => `R@10 ${c}`);
  return render(['system', 'recall@5', 'recall@10', 'MRR', ...categories, 'p50 ms', 'p99 ms'], rows);
}
