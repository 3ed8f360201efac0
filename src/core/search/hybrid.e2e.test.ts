import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OpenAiCompatibleEmbedder } from '../../embeddings/openai-compatible.js';
import { buildTestApp, type TestApp } from '../../testing/build-test-app.js';
import { conceptVector } from '../../testing/concept-embedder.js';
import { startFakeOpenAiServer, type FakeOpenAiServer } from '../../testing/fake-openai-server.js';

// End to end over the real protocol: REST writes → durable queue → worker → OpenAI-compatible HTTP
// client → a local /v1/embeddings server → vectors → hybrid search over REST.
let server: FakeOpenAiServer;
let t: TestApp;
let key: string;

beforeEach(async () => {
  server = await startFakeOpenAiServer({ dimensions: 64, embed: conceptVector });
  const embedder = new OpenAiCompatibleEmbedder({ url: server.url, model: 'fake-embed', batchSize: 16, timeoutMs: 2000 });
  t = await buildTestApp({ embedder });
  ({ key } = await t.createKey(await t.createUser('ada@example.com')));
});
afterEach(async () => {
  await t.close();
  await server.close();
});

async function search(query: string): Promise<string[]> {
  const res = await t.call('POST', '/api/v1/memories/search', { key, body: { query } });
  expect(res.statusCode).toBe(200);
  return (res.json() as { results: { memory: { content: string } }[] }).results.map((r) => r.memory.content);
}

describe('hybrid search end to end (OpenAI-compatible embeddings server)', () => {
  it('accepts writes while the embedding server is down, embeds them once it is back, then finds by meaning', async () => {
    server.failWith(503);
    await t.addMemory(key, 'I drive an automobile to the office');
    await t.addMemory(key, 'the deploy key lives in the vault');
    const worker = t.runtime.services.embeddings!.worker;
    expect(await worker.runOnce()).toMatchObject({ claimed: 2, embedded: 0, failed: 2 });
    // Still searchable by text while the vectors are missing; no answer yet for a word it does not contain.
    expect(await search('automobile')).toEqual(['I drive an automobile to the office']);
    expect(await search('car')).toEqual([]);

    server.failWith(undefined);
    t.clock.advance(1000);
    await worker.drain();
    expect(await t.runtime.services.embeddings!.queue.pending()).toBe(0);
    expect((await search('which car do I use'))[0]).toBe('I drive an automobile to the office');
  });
});
