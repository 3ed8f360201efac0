import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../../testing/build-test-app.js';
import type { MemoryView } from '../views.js';

interface Page {
  memories: MemoryView[];
  nextCursor: string | null;
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

async function list(query: string): Promise<Page> {
  const res = await t.call('GET', `/api/v1/memories${query}`, { key });
  expect(res.statusCode).toBe(200);
  return res.json() as Page;
}

describe('GET /v1/memories: cursor pagination', () => {
  it('walks more than one page returning every memory exactly once, newest first', async () => {
    const added: MemoryView[] = [];
    for (let i = 0; i < 7; i++) added.push(await add(`fact number ${i}`));
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await list(`?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.memories.length).toBeLessThanOrEqual(3);
      seen.push(...page.memories.map((m) => m.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== null && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual(added.map((m) => m.id).reverse());
  });

  it('keeps order and completeness when many memories share one creation time (ties broken by id)', async () => {
    // No clock advance: every memory has the same createdAt, so only the id tie-break keeps pages disjoint.
    const res = await t.call('POST', '/api/v1/memories', { key, body: { memories: Array.from({ length: 9 }, (_, i) => ({ content: `same ms ${i}` })) } });
    const ids = (res.json() as { results: { memory: MemoryView }[] }).results.map((r) => r.memory.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await list(`?limit=4${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      seen.push(...page.memories.map((m) => m.id));
      cursor = page.nextCursor;
    } while (cursor !== null);
    expect(seen).toHaveLength(9);
    expect(new Set(seen)).toEqual(new Set(ids));
    expect(seen).toEqual([...seen].sort().reverse());
  });

  it('returns nextCursor null when everything fits on the page', async () => {
    await add('only one');
    const page = await list('?limit=5');
    expect(page.memories).toHaveLength(1);
    expect(page.nextCursor).toBeNull();
  });

  it('rejects a cursor it did not issue with 400 naming the cursor', async () => {
    for (const bad of ['not-a-cursor', Buffer.from('{"a":1}').toString('base64url')]) {
      const res = await t.call('GET', `/api/v1/memories?cursor=${bad}`, { key });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: { code: 'INVALID_INPUT', details: { field: 'cursor' } } });
    }
  });

  it('rejects limit outside 1..200 with 400', async () => {
    for (const limit of ['0', '201', 'ten']) {
      const res = await t.call('GET', `/api/v1/memories?limit=${limit}`, { key });
      expect(res.statusCode, `limit=${limit}`).toBe(400);
      expect((res.json() as { error: { message: string } }).error.message).toContain('limit');
    }
  });
});

describe('GET /v1/memories: filters', () => {
  it('filters by app id', async () => {
    const otherKey = (await t.createKey(owner, { name: 'chat-app' })).key;
    const mine = await add('written by notes');
    const theirs = await add('written by chat', otherKey);
    expect(theirs.app.id).not.toBe(mine.app.id);

    const page = await list(`?app=${theirs.app.id}`);
    expect(page.memories.map((m) => m.id)).toEqual([theirs.id]);
    expect((await list(`?app=${mine.app.id}`)).memories.map((m) => m.id)).toEqual([mine.id]);
  });

  it('shows active memories by default and archived or deleted ones only when asked', async () => {
    const active = await add('still true');
    const archived = await add('old news');
    const deleted = await add('forget me');
    await t.call('PATCH', `/api/v1/memories/${archived.id}`, { key, body: { state: 'archived' } });
    await t.call('DELETE', `/api/v1/memories/${deleted.id}`, { key });

    expect((await list('')).memories.map((m) => m.id)).toEqual([active.id]);
    expect((await list('?state=archived')).memories.map((m) => m.id)).toEqual([archived.id]);
    expect((await list('?state=deleted')).memories.map((m) => m.id)).toEqual([deleted.id]);
  });

  it('bounds creation time with since (inclusive) and until (exclusive)', async () => {
    const a = await add('first');
    const b = await add('second');
    const c = await add('third');
    const since = encodeURIComponent(b.createdAt);
    const until = encodeURIComponent(c.createdAt);
    expect((await list(`?since=${since}`)).memories.map((m) => m.id)).toEqual([c.id, b.id]);
    expect((await list(`?until=${until}`)).memories.map((m) => m.id)).toEqual([b.id, a.id]);
    expect((await list(`?since=${since}&until=${until}`)).memories.map((m) => m.id)).toEqual([b.id]);
  });

  it('rejects a since that is not an ISO date-time with 400 naming since', async () => {
    const res = await t.call('GET', '/api/v1/memories?since=yesterday', { key });
    expect(res.statusCode).toBe(400);
    expect((res.json() as { error: { message: string } }).error.message).toContain('since');
  });

  it('rejects an unknown state with 400', async () => {
    const res = await t.call('GET', '/api/v1/memories?state=gone', { key });
    expect(res.statusCode).toBe(400);
  });
});
