import type { Conversation } from './locomo.js';
import type { RankedResult } from './metrics.js';

/** A system under evaluation: stores one conversation's turns, then answers searches over them. */
export interface Retriever {
  readonly name: string;
  index(conversation: Conversation): Promise<ConversationIndex>;
  close(): Promise<void>;
}

export interface ConversationIndex {
  /** Wall time the turns took to store. */
  readonly ingestMs: number;
  /** Ranked results (best first, at most `limit`) and the time the search call took. */
  search(query: string, limit: number): Promise<{ results: RankedResult[]; ms: number }>;
}

/**
 * Identical turns become one memory (Cairn deduplicates on normalised content per workspace), so the
 * in-memory reference groups them the same way: one document per distinct content, holding every dia_id.
 */
export function groupTurns(conversation: Conversation): { content: string; diaIds: string[] }[] {
  const byContent = new Map<string, string[]>();
  for (const turn of conversation.turns) {
    const key = turn.content.normalize('NFC').trim();
    const ids = byContent.get(key) ?? [];
    ids.push(turn.diaId);
    byContent.set(key, ids);
  }
  return [...byContent].map(([content, diaIds]) => ({ content, diaIds }));
}
