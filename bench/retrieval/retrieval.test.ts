import { describe, expect, it } from 'vitest';
import { Bm25Index } from './bm25-reference.js';
import { normaliseDiaId, parseEvidence } from './locomo.js';
import { percentile, scoreQuestion } from './metrics.js';

describe('LoCoMo evidence parsing', () => {
  it('splits strings that hold several ids and repairs the malformed ones the dataset has', () => {
    expect(parseEvidence(['D8:6; D9:17', 'D9:1 D4:4', 'D:11:26', 'D30:05', 'D'])).toEqual({
      ids: ['D8:6', 'D9:17', 'D9:1', 'D4:4', 'D11:26', 'D30:5'],
      invalid: ['D'],
      repaired: 4,
    });
  });

  it('treats missing evidence as none', () => {
    expect(parseEvidence(undefined)).toEqual({ ids: [], invalid: [], repaired: 0 });
    expect(normaliseDiaId('x1:2')).toBeUndefined();
  });
});

describe('retrieval metrics', () => {
  it('counts evidence in the top k, a result standing for several deduplicated turns, and the first hit rank', () => {
    const results = [['D1:1'], ['D1:2', 'D3:3'], ['D1:4'], ['D1:5'], ['D1:6'], ['D2:1']];
    expect(scoreQuestion(['D3:3', 'D2:1'], results)).toEqual({ recallAt5: 0.5, recallAt10: 1, reciprocalRank: 0.5 });
    expect(scoreQuestion(['D9:9'], results)).toEqual({ recallAt5: 0, recallAt10: 0, reciprocalRank: 0 });
  });

  it('uses nearest-rank percentiles', () => {
    expect(percentile([5, 1, 3, 2, 4], 50)).toBe(3);
    expect(percentile([5, 1, 3, 2, 4], 99)).toBe(5);
  });
});

describe('BM25 reference', () => {
  it('ranks the document with the rarer matching term first and keeps ties in document order', () => {
    const index = new Bm25Index([
      { content: 'A: the cat sat', diaIds: ['D1:1'] },
      { content: 'B: the dog sat', diaIds: ['D1:2'] },
      { content: 'A: the dog ran', diaIds: ['D1:3'] },
    ]);
    expect(index.search('cat sat', 10).map((h) => h.diaIds[0])).toEqual(['D1:1', 'D1:2']);
    expect(index.search('the', 10).map((h) => h.diaIds[0])).toEqual(['D1:1', 'D1:2', 'D1:3']);
  });
});
