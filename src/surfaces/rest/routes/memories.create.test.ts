import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_BATCH } from '../../../core/memories/memory.js';
import { buildTestApp, type TestApp } from '../../../testing/build-test-app.js';
import type { MemoryView } from '../views.js';

interface Single {
  memory: MemoryView;
  created: boolean;
}

let t: TestApp;
let key: string;

beforeEach(async () => {
  t = await buildTestApp();
  const owner = await t.createUser('ada@example.com');
  key = (await t.createKey(owner, { name: 'notes-cli' })).key;
});
afterEach(async () => t.close());

async function activeCount(): Promise<number> {
  const res = await t.call('GET', '/api/v1/memories?limit=200', { key });
  return (res.json() as { memories: unknown[] }).memories.length;
}

describe('POST /v1/memories: one memory', () => {
  it('creates the memory (201) with its metadata, the app of the key and ISO times', async () => {
    const res = await t.call('POST', '/api/v1/memories', { key, body: { content: 'Prefers dark roast coffee', metadata: { tag: 'food' } } });
    expect(res.statusCode).toBe(201);
    const body = res.json() as Single;
    expect(body.created).toBe(true);
    expect(body.memory).toMatchObject({ content: 'Prefers dark roast coffee', metadata: { tag: 'food' }, state: 'active', app: { name: 'notes-cli' } });
    expect(body.memory.id).toMatch(/^mem_/);
    expect(body.memory.createdAt).toBe(new Date(t.clock.now()).toISOString());

    const got = await t.call('GET', `/api/v1/memories/${body.memory.id}`, { key });
    expect(got.statusCode).toBe(200);
    expect((got.json() as { memory: MemoryView }).memory).toEqual(body.memory);
  });

  it('answers a duplicate (same text after trimming) with 200, created:false and the existing memory, storing nothing new', async () => {
    const first = (await t.call('POST', '/api/v1/memories', { key, body: { content: 'Lives in Lyon' } })).json() as Single;
    t.clock.advance(1000);
    const again = await t.call('POST', '/api/v1/memories', { key, body: { content: '  Lives in Lyon \n' } });
    expect(again.statusCode).toBe(200);
    const body = again.json() as Single;
    expect(body.created).toBe(false);
    expect(body.memory.id).toBe(first.memory.id);
    expect(body.memory.createdAt).toBe(first.memory.createdAt);
    expect(await activeCount()).toBe(1);
  });

  it('stores the text again once the earlier copy was deleted', async () => {
    const first = (await t.call('POST', '/api/v1/memories', { key, body: { content: 'Lives in Lyon' } })).json() as Single;
    expect((await t.call('DELETE', `/api/v1/memories/${first.memory.id}`, { key })).statusCode).toBe(204);
    const again = await t.call('POST', '/api/v1/memories', { key, body: { content: 'Lives in Lyon' } });
    expect(again.statusCode).toBe(201);
    expect((again.json() as Single).memory.id).not.toBe(first.memory.id);
  });

  it('rejects whitespace-only content with 400 naming content', async () => {
    const res = await t.call('POST', '/api/v1/memories', { key, body: { content: '   ' } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: { code: 'INVALID_INPUT' } });
    expect((res.json() as { error: { message: string } }).error.message).toContain('content');
    expect(await activeCount()).toBe(0);
  });

  it('rejects a body with both content and a batch', async () => {
    const res = await t.call('POST', '/api/v1/memories', { key, body: { content: 'a', memories: [{ content: 'b' }] } });
    expect(res.statusCode).toBe(400);
    expect(await activeCount()).toBe(0);
  });
});

describe('POST /v1/memories: a batch', () => {
  it('creates every new memory (201) and reports each one in order', async () => {
    const res = await t.call('POST', '/api/v1/memories', {
      key,
      body: { memories: [{ content: 'one' }, { content: 'two', metadata: { n: 2 } }, { content: 'three' }] },
    });
    expect(res.statusCode).toBe(201);
    const { results } = res.json() as { results: Single[] };
    expect(results.map((r) => [r.memory.content, r.created])).toEqual([
      ['one', true],
      ['two', true],
      ['three', true],
    ]);
    expect(results[1]!.memory.metadata).toEqual({ n: 2 });
    expect(await activeCount()).toBe(3);
  });

  it('is 201 when at least one is new, marking the duplicates created:false with the existing ids', async () => {
    const existing = (await t.call('POST', '/api/v1/memories', { key, body: { content: 'old fact' } })).json() as Single;
    const res = await t.call('POST', '/api/v1/memories', { key, body: { memories: [{ content: 'old fact' }, { content: 'new fact' }] } });
    expect(res.statusCode).toBe(201);
    const { results } = res.json() as { results: Single[] };
    expect(results[0]).toMatchObject({ created: false, memory: { id: existing.memory.id } });
    expect(results[1]!.created).toBe(true);
    expect(await activeCount()).toBe(2);
  });

  it('is 200 when every item already existed', async () => {
    await t.call('POST', '/api/v1/memories', { key, body: { memories: [{ content: 'a' }, { content: 'b' }] } });
    const res = await t.call('POST', '/api/v1/memories', { key, body: { memories: [{ content: 'b' }, { content: 'a' }] } });
    expect(res.statusCode).toBe(200);
    expect((res.json() as { results: Single[] }).results.every((r) => !r.created)).toBe(true);
    expect(await activeCount()).toBe(2);
  });

  it('collapses the same text repeated inside one batch into one memory', async () => {
    const res = await t.call('POST', '/api/v1/memories', { key, body: { memories: [{ content: 'twice' }, { content: 'twice' }] } });
    const { results } = res.json() as { results: Single[] };
    expect(results.map((r) => r.created)).toEqual([true, false]);
    expect(results[0]!.memory.id).toBe(results[1]!.memory.id);
    expect(await activeCount()).toBe(1);
  });

  it(`accepts exactly ${MAX_BATCH} items`, async () => {
    const memories = Array.from({ length: MAX_BATCH }, (_, i) => ({ content: `fact ${i}` }));
    const res = await t.call('POST', '/api/v1/memories', { key, body: { memories } });
    expect(res.statusCode).toBe(201);
    expect((res.json() as { results: Single[] }).results).toHaveLength(MAX_BATCH);
  });

  it(`rejects ${MAX_BATCH + 1} items with 400 naming memories and stores none of them`, async () => {
    const memories = Array.from({ length: MAX_BATCH + 1 }, (_, i) => ({ content: `fact ${i}` }));
    const res = await t.call('POST', '/api/v1/memories', { key, body: { memories } });
    expect(res.statusCode).toBe(400);
    const body = res.json() as { error: { code: string; message: string } };
    expect(body.error.code).toBe('INVALID_INPUT');
    expect(body.error.message).toContain('memories');
    expect(await activeCount()).toBe(0);
  });

  it('rejects an empty batch with 400', async () => {
    const res = await t.call('POST', '/api/v1/memories', { key, body: { memories: [] } });
    expect(res.statusCode).toBe(400);
  });

  it('rejects the whole batch when one item is invalid, storing none (one transaction)', async () => {
    const res = await t.call('POST', '/api/v1/memories', { key, body: { memories: [{ content: 'fine' }, { content: '   ' }] } });
    expect(res.statusCode).toBe(400);
    expect((res.json() as { error: { message: string } }).error.message).toContain('memories.1.content');
    expect(await activeCount()).toBe(0);
  });
});
