import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../../testing/build-test-app.js';
import type { MemoryView } from '../views.js';

// GET, PATCH and DELETE of one memory: what a soft delete hides, how it is undone, and what a conflicting edit says.

let t: TestApp;
let key: string;

beforeEach(async () => {
  t = await buildTestApp();
  const owner = await t.createUser('ada@example.com');
  key = (await t.createKey(owner)).key;
});
afterEach(async () => t.close());

async function add(content: string, metadata?: Record<string, unknown>): Promise<MemoryView> {
  t.clock.advance(1000);
  const res = await t.call('POST', '/api/v1/memories', { key, body: { content, ...(metadata ? { metadata } : {}) } });
  expect(res.statusCode).toBe(201);
  return (res.json() as { memory: MemoryView }).memory;
}

async function visibleIds(): Promise<{ listed: string[]; found: string[] }> {
  const listed = (await t.call('GET', '/api/v1/memories', { key })).json() as { memories: MemoryView[] };
  const found = (await t.call('POST', '/api/v1/memories/search', { key, body: { query: 'bicycle' } })).json() as { results: { memory: MemoryView }[] };
  return { listed: listed.memories.map((m) => m.id), found: found.results.map((r) => r.memory.id) };
}

describe('GET /v1/memories/{id}', () => {
  it('returns the memory', async () => {
    const m = await add('Rides a red bicycle');
    const res = await t.call('GET', `/api/v1/memories/${m.id}`, { key });
    expect(res.statusCode).toBe(200);
    expect((res.json() as { memory: MemoryView }).memory).toEqual(m);
  });

  it('is 404 in the error envelope for an id that does not exist', async () => {
    const res = await t.call('GET', '/api/v1/memories/mem_doesnotexist', { key });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ error: { code: 'NOT_FOUND', requestId: expect.any(String) } });
  });
});

describe('PATCH /v1/memories/{id}', () => {
  it('changes content and replaces metadata, moving updatedAt but not createdAt', async () => {
    const m = await add('Rides a red bicycle', { colour: 'red', since: 2020 });
    t.clock.advance(60_000);
    const res = await t.call('PATCH', `/api/v1/memories/${m.id}`, { key, body: { content: 'Rides a blue bicycle', metadata: { colour: 'blue' } } });
    expect(res.statusCode).toBe(200);
    const updated = (res.json() as { memory: MemoryView }).memory;
    expect(updated).toMatchObject({ id: m.id, content: 'Rides a blue bicycle', metadata: { colour: 'blue' }, createdAt: m.createdAt });
    expect(updated.updatedAt).toBe(new Date(t.clock.now()).toISOString());

    const searched = (await t.call('POST', '/api/v1/memories/search', { key, body: { query: 'blue' } })).json() as { results: { memory: MemoryView }[] };
    expect(searched.results.map((r) => r.memory.id)).toEqual([m.id]);
    const stale = (await t.call('POST', '/api/v1/memories/search', { key, body: { query: 'red' } })).json() as { results: unknown[] };
    expect(stale.results).toEqual([]);
  });

  it('answers content equal to another memory with 409 naming the existing id, and changes nothing', async () => {
    const a = await add('Rides a red bicycle');
    const b = await add('Owns a green kayak');
    const res = await t.call('PATCH', `/api/v1/memories/${b.id}`, { key, body: { content: ' Rides a red bicycle ' } });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ error: { code: 'CONFLICT', details: { existingId: a.id } } });
    const after = (await t.call('GET', `/api/v1/memories/${b.id}`, { key })).json() as { memory: MemoryView };
    expect(after.memory.content).toBe('Owns a green kayak');
  });

  it('rejects an empty patch with 400', async () => {
    const m = await add('Rides a red bicycle');
    const res = await t.call('PATCH', `/api/v1/memories/${m.id}`, { key, body: {} });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: { code: 'INVALID_INPUT' } });
  });

  it('is 404 for an id that does not exist', async () => {
    const res = await t.call('PATCH', '/api/v1/memories/mem_doesnotexist', { key, body: { content: 'x' } });
    expect(res.statusCode).toBe(404);
  });
});

describe('DELETE /v1/memories/{id}: soft delete and restore', () => {
  it('hides the memory from get, list and search, and is 404 the second time', async () => {
    const keep = await add('Rides a red bicycle to work');
    const gone = await add('Sold the old bicycle');
    expect((await visibleIds()).found.sort()).toEqual([keep.id, gone.id].sort());

    const del = await t.call('DELETE', `/api/v1/memories/${gone.id}`, { key });
    expect(del.statusCode).toBe(204);
    expect(del.body).toBe('');

    expect((await t.call('GET', `/api/v1/memories/${gone.id}`, { key })).statusCode).toBe(404);
    expect(await visibleIds()).toEqual({ listed: [keep.id], found: [keep.id] });
    expect((await t.call('DELETE', `/api/v1/memories/${gone.id}`, { key })).statusCode).toBe(404);
  });

  it('PATCH state=active brings a deleted memory back everywhere, same id and content', async () => {
    const m = await add('Sold the old bicycle');
    await t.call('DELETE', `/api/v1/memories/${m.id}`, { key });
    const res = await t.call('PATCH', `/api/v1/memories/${m.id}`, { key, body: { state: 'active' } });
    expect(res.statusCode).toBe(200);
    expect((res.json() as { memory: MemoryView }).memory).toMatchObject({ id: m.id, content: m.content, state: 'active' });
    expect(await visibleIds()).toEqual({ listed: [m.id], found: [m.id] });
    expect((await t.call('GET', `/api/v1/memories/${m.id}`, { key })).statusCode).toBe(200);
  });

  it('refuses to restore a deleted memory whose text was stored again meanwhile (409 naming the new one)', async () => {
    const old = await add('Sold the old bicycle');
    await t.call('DELETE', `/api/v1/memories/${old.id}`, { key });
    const again = await add('Sold the old bicycle');
    const res = await t.call('PATCH', `/api/v1/memories/${old.id}`, { key, body: { state: 'active' } });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ error: { code: 'CONFLICT', details: { existingId: again.id } } });
    expect((await visibleIds()).listed).toEqual([again.id]);
  });

  it('archiving hides from search and the default list but keeps get working', async () => {
    const m = await add('Rides a red bicycle');
    await t.call('PATCH', `/api/v1/memories/${m.id}`, { key, body: { state: 'archived' } });
    expect(await visibleIds()).toEqual({ listed: [], found: [] });
    expect((await t.call('GET', `/api/v1/memories/${m.id}`, { key })).json()).toMatchObject({ memory: { state: 'archived' } });
  });
});
