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

/** The Snowball English stop list (the one PostgreSQL's 'english' configuration uses). */
export const ENGLISH_STOP_WORDS = new Set(
  `i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her hers herself
  it its itself they them their theirs themselves what which who whom this that these those am is are was were be
  been being have has had having do does did doing a an the and but if or because as until while of at by for with
  about against between into through during before after above below to from up down in out on off over under
  again further then once here there when where why how all any both each few more most other some such no nor not
  only own same so than too very s t can will just don should now`.split(/\s+/),
);

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
