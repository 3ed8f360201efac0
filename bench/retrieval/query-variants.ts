import type { Conversation } from './locomo.js';

/**
 * Query-side prototypes: each rewrites the question before it reaches the search call, so their effect on
 * the unchanged search code can be measured. They are experiments for the issue, not Cairn behaviour.
 */
export interface QueryVariant {
  readonly name: string;
  readonly description: string;
  rewrite(question: string, conversation: Conversation): string;
}

/** The same stop list the server's query analysis uses (PostgreSQL's 'english' one). */
import { ENGLISH_STOP_WORDS } from '../../src/core/search/query.js';

export { ENGLISH_STOP_WORDS };

const WORD = /[\p{L}\p{N}]+/gu;

function keepWords(question: string, keep: (word: string) => boolean): string {
  return (question.match(WORD) ?? []).filter((w) => keep(w.toLowerCase())).join(' ');
}

function speakerNames(conversation: Conversation): Set<string> {
  return new Set(conversation.speakers.flatMap((s) => s.toLowerCase().match(WORD) ?? []));
}

export const AS_IS: QueryVariant = {
  name: 'as-is',
  description: 'the question text, unchanged',
  rewrite: (q) => q,
};

export const QUERY_VARIANTS: readonly QueryVariant[] = [
  AS_IS,
  {
    name: 'no-stop',
    description: 'English stop words removed',
    rewrite: (q) => keepWords(q, (w) => !ENGLISH_STOP_WORDS.has(w)),
  },
  {
    name: 'no-speakers',
    description: "the two speakers' names removed",
    rewrite: (q, c) => {
      const names = speakerNames(c);
      return keepWords(q, (w) => !names.has(w));
    },
  },
  {
    name: 'no-stop-no-speakers',
    description: "stop words and the two speakers' names removed",
    rewrite: (q, c) => {
      const names = speakerNames(c);
      return keepWords(q, (w) => !ENGLISH_STOP_WORDS.has(w) && !names.has(w));
    },
  },
];

/** A variant that strips everything falls back to the question, since an empty query is invalid input. */
export function rewriteQuery(variant: QueryVariant, question: string, conversation: Conversation): string {
  const rewritten = variant.rewrite(question, conversation).trim();
  return rewritten.length > 0 ? rewritten : question;
}
