import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../../testing/build-test-app.js';
import type { MemoryView } from '../views.js';

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

async function activeIds(): Promise<string[]> {
  const res = await t.call('GET', '/api/v1/memories', { key });
  return (res.json() as { memories: MemoryView[] }).memories.map((m) => m.id).sort();
}

async function bulkDelete(body: unknown) {
  return t.call('POST', '/api/v1/memories/bulk-delete', { key, body });
}

describe('POST /v1/memories/bulk-delete', () => {
  it('deletes the given ids and reports how many', async () => {
    const [a, b, c] = [await add('a'), await add('b'), await add('c')];
    const res = await bulkDelete({ ids: [a.id, c.id, 'mem_doesnotexist'] });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ deleted: 2 });
    expect(await activeIds()).toEqual([b.id]);
  });

  it('does not count memories that were already deleted', async () => {
    const a = await add('a');
    await bulkDelete({ ids: [a.id] });
    expect((await bulkDelete({ ids: [a.id] })).json()).toEqual({ deleted: 0 });
  });

  it('deletes by app filter only that app\'s memories', async () => {
    const chatKey = (await t.createKey(owner, { name: 'chat-app' })).key;
    const mine = await add('from notes');
    const chat1 = await add('from chat 1', chatKey);
    await add('from chat 2', chatKey);
    const res = await bulkDelete({ filters: { app: chat1.app.id } });
    expect(res.json()).toEqual({ deleted: 2 });
    expect(await activeIds()).toEqual([mine.id]);
  });

  it('deletes by time window: since inclusive, until exclusive', async () => {
    const a = await add('a');
    const b = await add('b');
    const c = await add('c');
    const res = await bulkDelete({ filters: { since: b.createdAt, until: c.createdAt } });
    expect(res.json()).toEqual({ deleted: 1 });
    expect(await activeIds()).toEqual([a.id, c.id].sort());
  });

  it('deletes everything with all:true, archived memories included', async () => {
    await add('a');
    const archived = await add('b');
    await t.call('PATCH', `/api/v1/memories/${archived.id}`, { key, body: { state: 'archived' } });
    const res = await bulkDelete({ all: true });
    expect(res.json()).toEqual({ deleted: 2 });
    expect(await activeIds()).toEqual([]);
    const listedArchived = (await t.call('GET', '/api/v1/memories?state=archived', { key })).json() as { memories: unknown[] };
    expect(listedArchived.memories).toEqual([]);
  });

  it('refuses a body with no ids, no filters and no all:true (400) and deletes nothing', async () => {
    const a = await add('a');
    for (const body of [{}, { all: false }, { ids: [] }]) {
      const res = await bulkDelete(body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json()).toMatchObject({ error: { code: 'INVALID_INPUT' } });
    }
    expect(await activeIds()).toEqual([a.id]);
  });

  it('leaves another user\'s memories alone even with all:true', async () => {
    const other = await t.createUser('bob@example.com');
    const otherKey = (await t.createKey(other)).key;
    const theirs = await add('bob private note', otherKey);
    await add('ada note');
    expect((await bulkDelete({ all: true })).json()).toEqual({ deleted: 1 });
    expect((await t.call('GET', `/api/v1/memories/${theirs.id}`, { key: otherKey })).statusCode).toBe(200);
  });
});
