import type { Conversation } from './locomo.js';
import { Scoreboard, scoreQuestion, type SystemResult } from './metrics.js';
import { rewriteQuery, type QueryVariant } from './query-variants.js';
import type { Retriever } from './retriever.js';

/** Every search asks for the top 10: recall@5, recall@10 and MRR all come from the same list. */
export const SEARCH_LIMIT = 10;

/**
 * Stores each conversation once, then asks every question under each query variant, in dataset order
 * (conversations, then questions, then variants), so two runs ask the same searches in the same order.
 */
export async function evaluate(retriever: Retriever, conversations: readonly Conversation[], variants: readonly QueryVariant[]): Promise<SystemResult[]> {
  const boards = variants.map(() => new Scoreboard());
  let ingestMs = 0;
  for (const conversation of conversations) {
    const index = await retriever.index(conversation);
    ingestMs += index.ingestMs;
    for (const q of conversation.questions) {
      for (const [i, variant] of variants.entries()) {
        const { results, ms } = await index.search(rewriteQuery(variant, q.question, conversation), SEARCH_LIMIT);
        boards[i]!.add(q.category, scoreQuestion(q.evidence, results), ms);
      }
    }
  }
  return variants.map((v, i) => boards[i]!.result(retriever.name, v.name, ingestMs));
}
