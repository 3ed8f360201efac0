import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConceptEmbedder } from '../../testing/concept-embedder.js';
import { buildTestApp, type TestApp } from '../../testing/build-test-app.js';
import { EmbeddingWorker } from './embedding-worker.js';

let t: TestApp;
let embedder: ConceptEmbedder;
let key: string;

beforeEach(async () => {
  embedder = new ConceptEmbedder();
  t = await buildTestApp({ embedder });
  ({ key } = await t.createKey(await t.createUser('ada@example.com')));
});
afterEach(async () => t.close());

const services = () => t.runtime.services;
const worker = () => services().embeddings!.worker;
const vectorCount = async () => (await t.runtime.storage.db.selectFrom('memory_vectors').select('memory_id').execute()).length;

describe('embedding worker: off the request path', () => {
  it('answers a write before anything is embedded, and fills the vector in when the worker runs', async () => {
    await t.addMemory(key, 'I drive an automobile to work');
    expect(embedder.calls).toEqual([]);
    expect(await services().embeddings!.queue.pending()).toBe(1);
    await worker().drain();
    expect(embedder.calls).toEqual([['I drive an automobile to work']]);
    expect(await vectorCount()).toBe(1);
    expect(await services().embeddings!.queue.pending()).toBe(0);
  });

  it('keeps accepting writes while the embedder is down, backs off, and embeds them once it is back', async () => {
    embedder.down = true;
    await t.addMemory(key, 'first while down');
    await t.addMemory(key, 'second while down');
    const report = await worker().runOnce();
    expect(report).toEqual({ claimed: 2, embedded: 0, failed: 2 });
    // Backing off: nothing is due yet, so the worker does not call the embedder again.
    await worker().drain();
    expect(embedder.calls).toHaveLength(1);
    const job = await t.runtime.storage.db.selectFrom('embedding_jobs').selectAll().executeTakeFirstOrThrow();
    expect(job.last_error).toBe('test embedder is down');
    expect(Number(job.next_attempt_at)).toBe(t.clock.now() + 1000);
    // Second failure doubles the delay.
    t.clock.advance(1000);
    expect((await worker().runOnce()).failed).toBe(2);
    const again = await t.runtime.storage.db.selectFrom('embedding_jobs').selectAll().executeTakeFirstOrThrow();
    expect(Number(again.attempts)).toBe(2);
    expect(Number(again.next_attempt_at)).toBe(t.clock.now() + 2000);
    // Back up: the writes made during the outage get their vectors.
    embedder.down = false;
    await t.addMemory(key, 'third after recovery');
    t.clock.advance(2000);
    await worker().drain();
    expect(await vectorCount()).toBe(3);
    expect(await services().embeddings!.queue.pending()).toBe(0);
  });

  it('retries a failing batch one text at a time, so one bad text does not hold back the others', async () => {
    embedder.failOn = 'poison';
    await t.addMemory(key, 'a fine memory');
    await t.addMemory(key, 'a poison memory');
    await t.addMemory(key, 'another fine one');
    expect(await worker().runOnce()).toEqual({ claimed: 3, embedded: 2, failed: 1 });
    const left = await t.runtime.storage.db.selectFrom('embedding_jobs as j').innerJoin('memories as m', 'm.id', 'j.memory_id').select(['m.content', 'j.last_error']).execute();
    expect(left).toEqual([{ content: 'a poison memory', last_error: 'test embedder refuses "poison"' }]);
  });

  it('embeds a changed text again, and never embeds a deleted memory', async () => {
    const m = await t.addMemory(key, 'original words');
    const gone = await t.addMemory(key, 'soon deleted');
    await t.call('DELETE', `/api/v1/memories/${gone.id}`, { key });
    await worker().drain();
    expect(embedder.calls.flat()).toEqual(['original words']);
    await t.call('PATCH', `/api/v1/memories/${m.id}`, { key, body: { content: 'new words' } });
    await worker().drain();
    expect(embedder.calls.flat()).toEqual(['original words', 'new words']);
  });

  it('polls when started and stops on shutdown without losing queued jobs', async () => {
    const w = new EmbeddingWorker(services().embeddings!.queue, embedder, t.clock, { batchSize: 1 });
    await t.addMemory(key, 'picked up by the poller');
    w.start(5);
    for (let i = 0; i < 100 && (await vectorCount()) === 0; i++) await new Promise((r) => setTimeout(r, 10));
    await w.close();
    expect(await vectorCount()).toBe(1);
    await t.addMemory(key, 'queued after stop');
    await new Promise((r) => setTimeout(r, 30));
    expect(await services().embeddings!.queue.pending()).toBe(1);
  });
});
