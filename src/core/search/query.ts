/**
 * Query analysis shared by both storage dialects: a natural-language question becomes the terms a
 * full-text index can use, the names it is about, and the date it asks about. Terms and names are letters
 * and digits only, lower-cased, so no query syntax can reach FTS5 or tsquery. See docs/search.md.
 */

/**
 * The Snowball English stop list, the one PostgreSQL's 'english' text-search configuration uses, so both
 * databases drop the same words. A question's "what did … the …" matches nearly every memory and only
 * dilutes the ranking (LoCoMo recall@10 on SQLite: 57.0% with them, 61.4% without).
 */
export const ENGLISH_STOP_WORDS: ReadonlySet<string> = new Set(
  `i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her hers herself
  it its itself they them their theirs themselves what which who whom this that these those am is are was were be
  been being have has had having do does did doing a an the and but if or because as until while of at by for with
  about against between into through during before after above below to from up down in out on off over under
  again further then once here there when where why how all any both each few more most other some such no nor not
  only own same so than too very s t can will just don should now`.split(/\s+/),
);

/** "What kind of …", "which type of …": before "of", these words only say that a category is asked for. */
const QUESTION_FILLERS: ReadonlySet<string> = new Set(['kind', 'kinds', 'type', 'types', 'sort', 'sorts']);

/** More terms than this add little and make each search slower. */
export const MAX_TERMS = 32;

/**
 * How much more a memory that begins with a name the question mentions scores (score × (1 + this)).
 * Tuned on LoCoMo: 0.5-2 all help on both databases; 1 is best on PostgreSQL and within 0.1 point of the
 * best on SQLite (docs/search.md).
 */
export const NAME_BOOST = 1;

export interface AnalysedQuery {
  /**
   * Distinct terms to match, in question order: the words that are not stop words, or, when the question
   * is nothing but stop words ("who is he?"), every word, so it still finds something.
   */
  readonly terms: readonly string[];
  /**
   * Capitalised words that do not start a sentence: likely names ("Caroline", "Paris"). A memory that
   * begins with one, as a chat turn stored as `Caroline: …` or a note like `Paris trip: …` does, is about
   * it rather than merely mentioning it, and ranks higher (NAME_BOOST).
   */
  readonly names: readonly string[];
}

const WORD = /[\p{L}\p{N}]+/gu;
/** A sentence's first word is capitalised whatever it is, so it is not taken for a name. */
const SENTENCE = /[.!?\n]+/u;

/** Natural-language question to the terms and names the dialects search for. */
export function analyseQuery(text: string): AnalysedQuery {
  const normalised = text.normalize('NFKC');
  const terms: string[] = [];
  const names: string[] = [];
  for (const sentence of normalised.split(SENTENCE)) {
    const words = sentence.match(WORD) ?? [];
    for (const [i, raw] of words.entries()) {
      const word = raw.toLowerCase();
      if (ENGLISH_STOP_WORDS.has(word) || (QUESTION_FILLERS.has(word) && words[i + 1]?.toLowerCase() === 'of')) continue;
      if (!terms.includes(word)) terms.push(word);
      // A month is a date, not a name: "in June" asks about a time (parseDateText), not about June.
      if (i > 0 && isCapitalised(raw) && !names.includes(word) && monthOf(word) === undefined) names.push(word);
    }
  }
  if (terms.length === 0) return { terms: allWords(normalised), names: [] };
  return { terms: terms.slice(0, MAX_TERMS), names: names.filter((n) => terms.slice(0, MAX_TERMS).includes(n)) };
}

function allWords(text: string): string[] {
  return [...new Set(text.toLowerCase().match(WORD) ?? [])].slice(0, MAX_TERMS);
}

/** "Caroline", "NASA": an upper-case first letter in a script that has case. */
function isCapitalised(word: string): boolean {
  const first = word[0] ?? '';
  return first !== first.toLowerCase() && first === first.toUpperCase();
}

/** A calendar date named in a question ("in June", "October 13, 2023") or carried by a memory; parts may be missing. */
export interface DateParts {
  readonly year?: number;
  readonly month?: number;
  readonly day?: number;
}

const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const MONTH_ABBREVIATIONS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const YEAR = /^(19|20)\d\d$/;

/** 1-12 for a month's full name or three-letter abbreviation (and "sept"), else undefined. */
function monthOf(word: string): number | undefined {
  const full = MONTHS.indexOf(word);
  if (full >= 0) return full + 1;
  const short = MONTH_ABBREVIATIONS.indexOf(word === 'sept' ? 'sep' : word);
  return short >= 0 ? short + 1 : undefined;
}

/**
 * The calendar date a text names, read loosely: ISO `2023-05-08`, `8 May, 2023`, `May 8 2023`, `June`,
 * `2023`. Undefined when the text names neither a month nor a year. With `question: true` only full month
 * names count, and only when capitalised or next to a number, so "may" the verb and "mar" the word are not
 * months.
 */
export function parseDateText(text: string, options: { question?: boolean } = {}): DateParts | undefined {
  const iso = /\b(\d{4})-(\d{2})-(\d{2})/.exec(text);
  if (iso) return { year: Number(iso[1]), month: Number(iso[2]), day: Number(iso[3]) };
  const tokens = text.match(WORD) ?? [];
  let year: number | undefined;
  let month: number | undefined;
  let day: number | undefined;
  tokens.forEach((token, i) => {
    if (year === undefined && YEAR.test(token)) year = Number(token);
    if (month !== undefined) return;
    const lower = token.toLowerCase();
    const m = options.question ? (MONTHS.includes(lower) ? MONTHS.indexOf(lower) + 1 : undefined) : monthOf(lower);
    if (m === undefined) return;
    const days = [tokens[i - 1], tokens[i + 1]].filter((t): t is string => t !== undefined && /^\d{1,2}$/.test(t) && Number(t) >= 1 && Number(t) <= 31);
    if (options.question && !isCapitalised(token) && days.length === 0 && !YEAR.test(tokens[i + 1] ?? '')) return;
    month = m;
    if (days[0] !== undefined) day = Number(days[0]);
  });
  if (year === undefined && month === undefined) return undefined;
  return { ...(year !== undefined ? { year } : {}), ...(month !== undefined ? { month } : {}), ...(day !== undefined ? { day } : {}) };
}
