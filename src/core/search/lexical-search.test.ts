import { describe, expect, it } from 'vitest';
import type { Memory } from '../memories/memory.js';
import type { MemoryStore, SearchHit, SearchQuery } from '../memories/memory-store.js';
import { DATE_CANDIDATES, dateMatch, memoryDate, searchLexical } from './lexical-search.js';

const scope = { workspaceId: 'wsp_1' };

function memory(id: string, metadata: Record<string, unknown>, createdAt = Date.UTC(2024, 0, 15)): Memory {
  return { id, workspaceId: scope.workspaceId, authorUserId: 'usr_1', appId: 'app_1', appName: 'test', content: id, metadata, state: 'active', contentHash: id, createdAt, updatedAt: createdAt } as Memory;
}

/** A store whose lexical ranking is fixed; records the queries it was asked. */
function fakeStore(hits: SearchHit[]) {
  const asked: SearchQuery[] = [];
  const store = { search: async (_s: unknown, q: SearchQuery) => (asked.push(q), hits.slice(0, q.limit)) } as unknown as MemoryStore;
  return { store, asked };
}

describe('searchLexical: time-aware ranking for questions that name a date', () => {
  const hits = [
    { memory: memory('may', { date: '1:56 pm on 8 May, 2023' }), score: 10 },
    { memory: memory('june-27', { date: '2023-06-27' }), score: 8 },
    { memory: memory('june-3', { date: '3 June, 2023' }), score: 7 },
    { memory: memory('undated', {}), score: 9 },
  ];

  it('passes a question without a date straight to the store', async () => {
    const { store, asked } = fakeStore(hits);
    const result = await searchLexical(store, scope, { text: 'camping trip', limit: 3 });
    expect(result.map((h) => h.memory.id)).toEqual(['may', 'june-27', 'june-3']);
    expect(asked).toEqual([{ text: 'camping trip', limit: 3 }]);
  });

  it('lifts memories dated in the month asked about, from a wider candidate list', async () => {
    const { store, asked } = fakeStore(hits);
    const result = await searchLexical(store, scope, { text: 'When did we go camping in June?', limit: 3 });
    expect(result.map((h) => h.memory.id)).toEqual(['june-27', 'june-3', 'may']);
    expect(asked[0]!.limit).toBe(DATE_CANDIDATES);
  });

  it('prefers the exact day when the question names one', async () => {
    const { store } = fakeStore(hits);
    const result = await searchLexical(store, scope, { text: 'What happened on June 3, 2023?', limit: 2 });
    expect(result.map((h) => h.memory.id)).toEqual(['june-3', 'june-27']);
  });
});

describe('memoryDate and dateMatch', () => {
  it('reads the date from metadata, else from createdAt (UTC)', () => {
    expect(memoryDate(memory('a', { date: '2023-06-27' }))).toEqual({ year: 2023, month: 6, day: 27 });
    expect(memoryDate(memory('b', { timestamp: Date.UTC(2022, 1, 2) / 1000 }))).toEqual({ year: 2022, month: 2, day: 2 });
    expect(memoryDate(memory('c', { date: 'someday' }))).toEqual({ year: 2024, month: 1, day: 15 });
  });

  it('scores 1 for a full match, 0.5 when only the day differs, 0 otherwise', () => {
    const d = { year: 2023, month: 6, day: 27 };
    expect(dateMatch({ month: 6 }, d)).toBe(1);
    expect(dateMatch({ year: 2023, month: 6, day: 3 }, d)).toBe(0.5);
    expect(dateMatch({ year: 2022 }, d)).toBe(0);
  });
});
