import { loadLocomo, type Conversation } from '../retrieval/locomo.js';

/**
 * Realistic, deterministic text for the search-latency benchmark, made from LoCoMo (read at run time from
 * outside the repository, never copied in): its ~5,900 dialog turns recombined into as many distinct
 * memories as asked for, and its questions as the queries. No randomness except a seeded generator, so
 * every run (and every machine) builds the same database and asks the same questions.
 */

/** Bump when the generated text changes: it keys the cached SQLite file (bench/search-latency.ts). */
export const CORPUS_VERSION = 1;

/** Names to vary who a memory is about, beside LoCoMo's 20 speakers. */
const EXTRA_NAMES = [
  'Aisha', 'Bruno', 'Chen', 'Dana', 'Emeka', 'Farah', 'Goran', 'Hana', 'Ivan', 'Jun', 'Kofi', 'Lena', 'Marco',
  'Nadia', 'Omar', 'Priya', 'Quinn', 'Rosa', 'Sven', 'Tariq', 'Uma', 'Viktor', 'Wen', 'Ximena', 'Yusuf', 'Zoe',
];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

export interface LocomoText {
  /** Every turn's text without its speaker, and who spoke it. */
  readonly turns: readonly { readonly speaker: string; readonly text: string }[];
  readonly speakers: readonly string[];
  readonly questions: readonly string[];
}

export function loadLocomoText(path: string): LocomoText {
  const { conversations } = loadLocomo(path);
  const turns: { speaker: string; text: string }[] = [];
  for (const c of conversations) {
    for (const t of c.turns) {
      const colon = t.content.indexOf(': ');
      turns.push({ speaker: t.content.slice(0, colon), text: t.content.slice(colon + 2) });
    }
  }
  return { turns, speakers: [...new Set(conversations.flatMap((c: Conversation) => c.speakers))], questions: conversations.flatMap((c) => c.questions.map((q) => q.question)) };
}

/** A 32-bit xorshift generator: fixed seed in, the same sequence out on every machine. */
export function seeded(seed: number): () => number {
  let s = seed >>> 0 || 0x9e3779b9;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

/**
 * `count` distinct memories. Each is a LoCoMo turn (visited in a fixed shuffled order, so neighbours come
 * from different conversations) put in one of a few shapes an agent writes (a quoted turn, a dated note,
 * a note about someone, two turns joined), with the speaker's name swapped for another and a date added,
 * so the same turn yields many different memories. `seed` separates the corpora of several workspaces.
 */
export function* memoryTexts(source: LocomoText, count: number, seed: number): Generator<string> {
  const next = seeded(seed);
  const names = [...source.speakers, ...EXTRA_NAMES];
  const pick = <T>(xs: readonly T[]) => xs[next() % xs.length]!;
  const seen = new Set<string>();
  const n = source.turns.length;
  for (let k = 0; seen.size < count; k++) {
    const turn = source.turns[(k * 7919 + seed) % n]!;
    const other = source.turns[next() % n]!;
    const name = pick(names);
    const text = turn.text.split(turn.speaker).join(name);
    const day = next() % 1500;
    const date = new Date(Date.UTC(2022, 0, 1) + day * 86_400_000);
    const when = `${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()}`;
    let content: string;
    switch (next() % 4) {
      case 0:
        content = `${name}: ${text}`;
        break;
      case 1:
        content = `On ${when}, ${name} said: ${text}`;
        break;
      case 2:
        content = `Note about ${name} (${when}): ${text}`;
        break;
      default:
        content = `${name} (${when}): ${text} ${other.text}`;
    }
    content = content.slice(0, 4000);
    if (seen.has(content)) continue;
    seen.add(content);
    yield content;
  }
}

/** `count` questions spread evenly over LoCoMo's (about 1,500 of categories 1-4), in a fixed order. */
export function queries(source: LocomoText, count: number): string[] {
  const all = source.questions.filter((q) => q.trim().length > 0);
  const step = all.length / Math.min(count, all.length);
  return Array.from({ length: Math.min(count, all.length) }, (_, i) => all[Math.floor(i * step)]!);
}
