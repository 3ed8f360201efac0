import { performance } from 'node:perf_hooks';
import type { Conversation } from './locomo.js';
import { groupTurns, type ConversationIndex, type Retriever } from './retriever.js';

export const BM25_K1 = 1.2;
export const BM25_B = 0.75;

/** Lower-cased runs of letters and digits: no stemming, no stop words (the "plain BM25" of the issue). */
export function tokenize(text: string): string[] {
  return text.toLowerCase().normalize('NFKC').match(/[\p{L}\p{N}]+/gu) ?? [];
}

interface Doc {
  readonly diaIds: readonly string[];
  readonly tf: Map<string, number>;
  readonly length: number;
}

/**
 * Okapi BM25 over one conversation, in memory, with Lucene's non-negative idf
 * log(1 + (N − df + 0.5) / (df + 0.5)). A document scores when it holds at least one query term; ties keep
 * conversation order, so the ranking is deterministic.
 */
export class Bm25Index {
  private readonly docs: Doc[];
  private readonly df = new Map<string, number>();
  private readonly avgLength: number;

  constructor(documents: readonly { content: string; diaIds: readonly string[] }[]) {
    this.docs = documents.map((d) => {
      const tokens = tokenize(d.content);
      const tf = new Map<string, number>();
      for (const t of tokens) tf.set(t, (tf.get(t) ?? 0) + 1);
      for (const t of tf.keys()) this.df.set(t, (this.df.get(t) ?? 0) + 1);
      return { diaIds: d.diaIds, tf, length: tokens.length };
    });
    this.avgLength = this.docs.reduce((sum, d) => sum + d.length, 0) / Math.max(1, this.docs.length);
  }

  search(query: string, limit: number): { diaIds: readonly string[]; score: number }[] {
    const terms = [...new Set(tokenize(query))];
    const n = this.docs.length;
    const idf = new Map(terms.map((t) => {
      const df = this.df.get(t) ?? 0;
      return [t, Math.log(1 + (n - df + 0.5) / (df + 0.5))];
    }));
    const scored: { index: number; score: number }[] = [];
    this.docs.forEach((doc, index) => {
      let score = 0;
      for (const t of terms) {
        const f = doc.tf.get(t);
        if (!f) continue;
        score += idf.get(t)! * ((f * (BM25_K1 + 1)) / (f + BM25_K1 * (1 - BM25_B + (BM25_B * doc.length) / this.avgLength)));
      }
      if (score > 0) scored.push({ index, score });
    });
    scored.sort((a, b) => b.score - a.score || a.index - b.index);
    return scored.slice(0, limit).map((s) => ({ diaIds: this.docs[s.index]!.diaIds, score: s.score }));
  }
}

/** The reference row: plain BM25 over the same (deduplicated) turns, evaluated like Cairn. */
export function bm25Retriever(): Retriever {
  return {
    name: 'BM25 reference (in-memory)',
    async index(conversation: Conversation): Promise<ConversationIndex> {
      const started = performance.now();
      const index = new Bm25Index(groupTurns(conversation));
      const ingestMs = performance.now() - started;
      return {
        ingestMs,
        async search(query, limit) {
          const t0 = performance.now();
          const hits = index.search(query, limit);
          return { results: hits.map((h) => h.diaIds), ms: performance.now() - t0 };
        },
      };
    },
    async close() {},
  };
}
