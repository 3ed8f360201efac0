import type { Memory } from '../memories/memory.js';
import type { MemoryStore, SearchHit, SearchQuery, WorkspaceScope } from '../memories/memory-store.js';
import { parseDateText, type DateParts } from './query.js';

/**
 * How much more a memory dated on the date a question names scores (score × (1 + this × match)). Tuned on
 * LoCoMo: 0.5, 1 and 2 give the same recall within 0.1 point; 1 is in the middle (docs/search.md).
 */
export const DATE_BOOST = 1;
/** How many lexical hits a dated question re-ranks: the date can lift a memory from here into the top. */
export const DATE_CANDIDATES = 50;

/**
 * Lexical search of one workspace: the store's full-text ranking (stop words dropped, memories that begin
 * with a name the question mentions lifted: query.ts and the dialects), then, when the question names a
 * date ("in June", "on October 13, 2023"), the memories dated then lifted. Every statistic and candidate
 * comes from the store's workspace-scoped search. Returns at most `query.limit` hits, best first; `score`
 * is comparable within this list only.
 */
export async function searchLexical(store: MemoryStore, scope: WorkspaceScope, query: SearchQuery): Promise<SearchHit[]> {
  const asked = parseDateText(query.text, { question: true });
  if (!asked) return store.search(scope, query);
  const hits = await store.search(scope, { ...query, limit: Math.max(query.limit, DATE_CANDIDATES) });
  return hits
    .map((hit, rank) => ({ hit, rank, score: hit.score * (1 + DATE_BOOST * dateMatch(asked, memoryDate(hit.memory))) }))
    .sort((a, b) => b.score - a.score || a.rank - b.rank)
    .slice(0, query.limit)
    .map(({ hit, score }) => ({ memory: hit.memory, score }));
}

/** Metadata keys an agent is likely to put an event's date under; the first that parses wins over createdAt. */
const DATE_KEYS = ['date', 'datetime', 'timestamp', 'time', 'occurred_at', 'occurredAt', 'event_date'];

/**
 * When a memory happened: a date in its metadata if it has one (text such as `2023-05-08` or
 * `1:56 pm on 8 May, 2023`, or epoch seconds / milliseconds), else when it was stored (UTC).
 */
export function memoryDate(memory: Pick<Memory, 'metadata' | 'createdAt'>): DateParts {
  const metadata = memory.metadata as Record<string, unknown>;
  for (const key of DATE_KEYS) {
    const value = metadata[key];
    if (typeof value === 'string') {
      const parsed = parseDateText(value);
      if (parsed) return parsed;
    }
    // Below 1e11 a timestamp is in seconds (1e11 ms is 1973; 1e11 s is the year 5138).
    if (typeof value === 'number' && Number.isFinite(value)) return utcParts(value < 1e11 ? value * 1000 : value);
  }
  return utcParts(memory.createdAt);
}

function utcParts(ms: number): DateParts {
  const d = new Date(ms);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** 1 when every part the question names matches the memory's date, 0.5 when only the day differs, else 0. */
export function dateMatch(asked: DateParts, memory: DateParts): number {
  const same = (part: keyof DateParts) => asked[part] === undefined || asked[part] === memory[part];
  if (!same('year') || !same('month')) return 0;
  return same('day') ? 1 : 0.5;
}
