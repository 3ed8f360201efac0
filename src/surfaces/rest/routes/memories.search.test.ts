import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_SEARCH_LIMIT } from '../../../core/memories/memory-service.js';
import { buildTestApp, type TestApp } from '../../../testing/build-test-app.js';
import type { MemoryView } from '../views.js';

interface Results {
  results: { memory: MemoryView; score: number }[];
}

let t: TestApp;
let owner: Awaited<ReturnType<TestApp['createUser']>>;
let key: string;

beforeEach(async () => {
  t = await buildTestApp();
  owner = await t.createUser('ada@example.com');
  key = (await t.createKey(owner, { name: 'notes-cli' })).key;
});
afterEach(async () => t.close());

const add = (content: string, withKey = key): Promise<MemoryView> => t.addMemory(withKey, content);

async function search(body: unknown): Promise<Results> {
  const res = await t.call('POST', '/api/v1/memories/search', { key, body });
  expect(res.statusCode).toBe(200);
  return res.json() as Results;
}

describe('POST /v1/memories/search: ranking', () => {
  it('returns matching memories ranked by relevance with descending scores, and no unrelated ones', async () => {
    const both = await add('Ada drinks espresso coffee every morning in Lyon');
    const one = await add('The office coffee machine is broken');
    await add('Ada plays the cello on weekends');

    const { results } = await search({ query: 'espresso coffee' });
    expect(results.map((r) => r.memory.id)).toEqual([both.id, one.id]);
    for (const r of results) expect(typeof r.score).toBe('number');
    expect(results[0]!.score).toBeGreaterThan(results[1]!.score);
  });

  it('matches word forms (stemming) and ignores query punctuation', async () => {
    const m = await add('She is running a marathon in April');
    const { results } = await search({ query: 'runs? "marathon" OR NOT' });
    expect(results.map((r) => r.memory.id)).toEqual([m.id]);
  });

  it('returns an empty list when nothing matches', async () => {
    await add('Ada plays the cello');
    expect((await search({ query: 'bicycle' })).results).toEqual([]);
  });
});

describe('POST /v1/memories/search: filters and limits', () => {
  it('honours limit', async () => {
    for (let i = 0; i < 5; i++) await add(`tea note ${i}`);
    expect((await search({ query: 'tea', limit: 2 })).results).toHaveLength(2);
    expect((await search({ query: 'tea' })).results).toHaveLength(5);
  });

  it('rejects limit 0 and limit above the maximum with 400 naming limit', async () => {
    for (const limit of [0, MAX_SEARCH_LIMIT + 1, 2.5]) {
      const res = await t.call('POST', '/api/v1/memories/search', { key, body: { query: 'tea', limit } });
      expect(res.statusCode, `limit=${limit}`).toBe(400);
      expect((res.json() as { error: { message: string } }).error.message).toContain('limit');
    }
    const max = await t.call('POST', '/api/v1/memories/search', { key, body: { query: 'tea', limit: MAX_SEARCH_LIMIT } });
    expect(max.statusCode).toBe(200);
  });

  it('filters by app and by creation time', async () => {
    const otherKey = (await t.createKey(owner, { name: 'chat-app' })).key;
    const early = await add('garden tomatoes planted');
    const fromChat = await add('garden roses pruned', otherKey);
    const late = await add('garden fence painted');

    const byApp = await search({ query: 'garden', filters: { app: fromChat.app.id } });
    expect(byApp.results.map((r) => r.memory.id)).toEqual([fromChat.id]);

    const since = await search({ query: 'garden', filters: { since: fromChat.createdAt } });
    expect(since.results.map((r) => r.memory.id).sort()).toEqual([fromChat.id, late.id].sort());

    const until = await search({ query: 'garden', filters: { until: fromChat.createdAt } });
    expect(until.results.map((r) => r.memory.id)).toEqual([early.id]);
  });

  it('searches only active memories unless a state is asked for', async () => {
    const archived = await add('archived piano lesson');
    await t.call('PATCH', `/api/v1/memories/${archived.id}`, { key, body: { state: 'archived' } });
    expect((await search({ query: 'piano' })).results).toEqual([]);
    expect((await search({ query: 'piano', filters: { state: 'archived' } })).results.map((r) => r.memory.id)).toEqual([archived.id]);
  });

  it('rejects an empty or blank query with 400 naming query', async () => {
    for (const query of ['', '   ']) {
      const res = await t.call('POST', '/api/v1/memories/search', { key, body: { query } });
      expect(res.statusCode, JSON.stringify(query)).toBe(400);
      expect(res.json()).toMatchObject({ error: { code: 'INVALID_INPUT' } });
      expect((res.json() as { error: { message: string } }).error.message).toContain('query');
    }
  });

  it('rejects a missing query with 400', async () => {
    const res = await t.call('POST', '/api/v1/memories/search', { key, body: {} });
    expect(res.statusCode).toBe(400);
    expect((res.json() as { error: { message: string } }).error.message).toContain('query');
  });
});
