/** The RRF constant from Cormack, Clarke & Büttcher (2009): it damps the weight of the very top ranks. */
export const RRF_K = 60;

export interface FusedResult {
  readonly id: string;
  /** Σ 1/(k + rank) over the rankings the id appears in (ranks start at 1). */
  readonly score: number;
  /** The id's 1-based rank in each input ranking, or undefined where it is absent. */
  readonly ranks: readonly (number | undefined)[];
}

/**
 * Reciprocal rank fusion: each ranking votes 1/(k + rank) for each of its ids, and ids are ordered by
 * the sum. It uses ranks only, so a BM25 score and a cosine similarity never have to be put on one
 * scale. Equal sums are ordered by the best single rank, then by the earlier ranking (the first ranking
 * given wins a tie: search passes the lexical one first), then by the rank in it, so the order is total.
 */
export function reciprocalRankFusion(rankings: readonly (readonly string[])[], k = RRF_K): FusedResult[] {
  const byId = new Map<string, { score: number; ranks: (number | undefined)[] }>();
  rankings.forEach((ranking, list) => {
    const seen = new Set<string>();
    ranking.forEach((id, i) => {
      if (seen.has(id)) return; // a ranking votes once per id, at its best rank
      seen.add(id);
      const entry = byId.get(id) ?? { score: 0, ranks: new Array<number | undefined>(rankings.length).fill(undefined) };
      entry.score += 1 / (k + i + 1);
      entry.ranks[list] = i + 1;
      byId.set(id, entry);
    });
  });
  const results = [...byId].map(([id, e]) => ({ id, score: e.score, ranks: e.ranks }));
  return results.sort((a, b) => b.score - a.score || compareBest(a.ranks, b.ranks));
}

function compareBest(a: readonly (number | undefined)[], b: readonly (number | undefined)[]): number {
  const best = (r: readonly (number | undefined)[]) => Math.min(...r.map((x) => x ?? Infinity));
  const first = (r: readonly (number | undefined)[]) => r.findIndex((x) => x !== undefined);
  return best(a) - best(b) || first(a) - first(b) || (a[first(a)] ?? 0) - (b[first(b)] ?? 0);
}
