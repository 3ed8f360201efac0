import { describe, expect, it } from 'vitest';
import { reciprocalRankFusion, RRF_K } from './fusion.js';

describe('reciprocal rank fusion (k = 60)', () => {
  it('sums 1/(60 + rank) over the rankings an id appears in', () => {
    const fused = reciprocalRankFusion([
      ['a', 'b', 'c'],
      ['c', 'd', 'a'],
    ]);
    const score = Object.fromEntries(fused.map((f) => [f.id, f.score]));
    expect(RRF_K).toBe(60);
    expect(score.a).toBeCloseTo(1 / 61 + 1 / 63, 15);
    expect(score.c).toBeCloseTo(1 / 63 + 1 / 61, 15);
    expect(score.b).toBeCloseTo(1 / 62, 15);
    expect(score.d).toBeCloseTo(1 / 62, 15);
    expect(fused.find((f) => f.id === 'a')?.ranks).toEqual([1, 3]);
    expect(fused.find((f) => f.id === 'd')?.ranks).toEqual([undefined, 2]);
  });

  it('puts an id found by both rankings above ids found by one, even when neither ranked it first', () => {
    const fused = reciprocalRankFusion([
      ['lex1', 'both', 'lex3'],
      ['vec1', 'both', 'vec3'],
    ]);
    // 2/62 = 0.03226 beats 1/61 = 0.01639
    expect(fused.map((f) => f.id)).toEqual(['both', 'lex1', 'vec1', 'lex3', 'vec3']);
  });

  it('breaks equal sums by best rank, then by the earlier ranking, then by rank in it', () => {
    const fused = reciprocalRankFusion([
      ['a', 'x', 'c'],
      ['c', 'y', 'a'],
    ]);
    // a and c tie exactly (1/61 + 1/63 both); best rank is 1 for both; a's first appearance is in ranking 0.
    expect(fused.slice(0, 2).map((f) => f.id)).toEqual(['a', 'c']);
    expect(fused[0]!.score).toBe(fused[1]!.score);
    // x and y tie at 1/62 with best rank 2; x is in the earlier ranking.
    expect(fused.slice(2).map((f) => f.id)).toEqual(['x', 'y']);
  });

  it('is the identity on one ranking, and empty for none', () => {
    expect(reciprocalRankFusion([['p', 'q', 'r']]).map((f) => f.id)).toEqual(['p', 'q', 'r']);
    expect(reciprocalRankFusion([[], []])).toEqual([]);
  });

  it('counts an id repeated within one ranking once, at its best rank', () => {
    const [only] = reciprocalRankFusion([['z', 'z']], 60);
    expect(only).toEqual({ id: 'z', score: 1 / 61, ranks: [1] });
  });

  it('takes k as a parameter: a smaller k weighs the top ranks more', () => {
    const fused = reciprocalRankFusion([['a', 'b'], ['b']], 1);
    // a: 1/2; b: 1/3 + 1/2
    expect(fused.map((f) => [f.id, f.score])).toEqual([
      ['b', 1 / 3 + 1 / 2],
      ['a', 1 / 2],
    ]);
  });
});
