import { CATEGORIES, type Category } from './locomo.js';

/** One search result as the evaluation sees it: the dia_ids the returned memory stands for (deduplicated turns share one). */
export type RankedResult = readonly string[];

export interface QuestionScore {
  readonly recallAt5: number;
  readonly recallAt10: number;
  /** 1/rank of the first result holding any evidence id; 0 when none is in the top 10. */
  readonly reciprocalRank: number;
}

/** recall@k = share of the question's evidence ids found in the first k results. */
export function scoreQuestion(evidence: readonly string[], results: readonly RankedResult[]): QuestionScore {
  const recall = (k: number) => {
    const found = new Set(results.slice(0, k).flat());
    return evidence.filter((id) => found.has(id)).length / evidence.length;
  };
  const first = results.slice(0, 10).findIndex((r) => r.some((id) => evidence.includes(id)));
  return { recallAt5: recall(5), recallAt10: recall(10), reciprocalRank: first === -1 ? 0 : 1 / (first + 1) };
}

export interface Aggregate {
  readonly n: number;
  readonly recallAt5: number;
  readonly recallAt10: number;
  readonly mrr: number;
}

export interface SystemResult {
  readonly system: string;
  readonly variant: string;
  readonly byCategory: Record<(typeof CATEGORIES)[Category], Aggregate>;
  readonly overall: Aggregate;
  readonly latencyMs: { readonly p50: number; readonly p99: number };
  /** Wall time to store every turn (0 for systems that index in memory as part of search setup). */
  readonly ingestMs: number;
}

/** Collects per-question scores and search latencies for one (system, variant) pair. */
export class Scoreboard {
  private readonly scores = new Map<Category, QuestionScore[]>();
  private readonly latencies: number[] = [];

  add(category: Category, score: QuestionScore, latencyMs: number): void {
    const list = this.scores.get(category) ?? [];
    list.push(score);
    this.scores.set(category, list);
    this.latencies.push(latencyMs);
  }

  result(system: string, variant: string, ingestMs: number): SystemResult {
    const cats = Object.keys(CATEGORIES).map(Number) as Category[];
    const byCategory = Object.fromEntries(cats.map((c) => [CATEGORIES[c], aggregate(this.scores.get(c) ?? [])])) as SystemResult['byCategory'];
    const overall = aggregate(cats.flatMap((c) => this.scores.get(c) ?? []));
    return { system, variant, byCategory, overall, latencyMs: { p50: percentile(this.latencies, 50), p99: percentile(this.latencies, 99) }, ingestMs };
  }
}

export function aggregate(scores: readonly QuestionScore[]): Aggregate {
  const mean = (f: (s: QuestionScore) => number) => (scores.length === 0 ? 0 : scores.reduce((sum, s) => sum + f(s), 0) / scores.length);
  return { n: scores.length, recallAt5: mean((s) => s.recallAt5), recallAt10: mean((s) => s.recallAt10), mrr: mean((s) => s.reciprocalRank) };
}

/** Nearest-rank percentile (no interpolation), so p99 is an observed latency. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}
