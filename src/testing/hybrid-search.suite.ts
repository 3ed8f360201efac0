import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from './build-test-app.js';
import { ConceptEmbedder } from './concept-embedder.js';

interface Result {
  memory: { id: string; content: string };
  score: number;
}

/**
 * Hybrid search (MemoryService.search with an embedder) over REST on a real database: run by
 * memory-service.hybrid.test.ts on SQLite and memory-service.hybrid.pg.test.ts on PostgreSQL.
 * `databaseUrl` gives each test a fresh, empty database (undefined: in-memory SQLite).
 */
export function runHybridSearchSuite(databaseUrl: () => Promise<string | undefined>): void {
  let t: TestApp;
  let embedder: ConceptEmbedder;
  let ada: string;
  let bob: string;

  beforeEach(async () => {
    embedder = new ConceptEmbedder();
    const url = await databaseUrl();
    t = await buildTestApp({ embedder, ...(url ? { databaseUrl: url } : {}) });
    ada = (await t.createKey(await t.createUser('ada@example.com'))).key;
    bob = (await t.createKey(await t.createUser('bob@example.com'))).key;
  });
  afterEach(async () => t.close());

  async function search(key: string, query: string, body: Record<string, unknown> = {}): Promise<Result[]> {
    const res = await t.call('POST', '/api/v1/memories/search', { key, body: { query, ...body } });
    expect(res.statusCode).toBe(200);
    return (res.json() as { results: Result[] }).results;
  }

  const drain = () => t.runtime.services.embeddings!.worker.drain();

  describe('MemoryService.search: hybrid (lexical + vector, reciprocal rank fusion)', () => {
    it('finds a memory that shares no word with the query once its vector exists; lexical alone misses it', async () => {
      const car = await t.addMemory(ada, 'I drive an automobile to work every day');
      await t.addMemory(ada, 'the staging database listens on port 5433');
      await t.addMemory(ada, 'my dog likes the park');
      // No vectors yet: the answer is the lexical one, which has no match for "car".
      expect(await search(ada, 'which car do I have')).toEqual([]);
      await drain();
      const hits = await search(ada, 'which car do I have');
      expect(hits[0]?.memory.id).toBe(car.id);
    });

    it('scores a memory ranked first by both rankings 2/61, and one found by one ranking only 1/(60 + rank)', async () => {
      const both = await t.addMemory(ada, 'my automobile is blue');
      const vectorOnly = await t.addMemory(ada, 'a red hatchback parked outside');
      await drain();
      const hits = await search(ada, 'automobile');
      expect(hits.map((h) => h.memory.id)).toEqual([both.id, vectorOnly.id]);
      expect(hits[0]!.score).toBeCloseTo(2 / 61, 12);
      expect(hits[1]!.score).toBeCloseTo(1 / 62, 12);
    });

    it('never returns another workspace’s memory, however close its vector', async () => {
      const mine = await t.addMemory(ada, 'I drive an automobile');
      const theirs = await t.addMemory(bob, 'my car is a red sedan');
      await drain();
      const adaHits = await search(ada, 'car sedan');
      expect(adaHits.map((h) => h.memory.id)).toEqual([mine.id]);
      const bobHits = await search(bob, 'automobile');
      expect(bobHits.map((h) => h.memory.id)).toEqual([theirs.id]);
    });

    it('leaves archived and deleted memories out unless archived ones are asked for', async () => {
      const archived = await t.addMemory(ada, 'an old automobile');
      const deleted = await t.addMemory(ada, 'a sold sedan');
      const live = await t.addMemory(ada, 'the new vehicle');
      await drain();
      await t.call('PATCH', `/api/v1/memories/${archived.id}`, { key: ada, body: { state: 'archived' } });
      await t.call('DELETE', `/api/v1/memories/${deleted.id}`, { key: ada });
      expect((await search(ada, 'car')).map((h) => h.memory.id)).toEqual([live.id]);
      expect((await search(ada, 'car', { filters: { state: 'archived' } })).map((h) => h.memory.id)).toEqual([archived.id]);
    });

    it('answers from the lexical ranking, with lexical scores, while the embedder is down', async () => {
      await t.addMemory(ada, 'I drive an automobile');
      const lexical = await t.addMemory(ada, 'the car wash opens at nine');
      await drain();
      embedder.down = true;
      const hits = await search(ada, 'car');
      expect(hits.map((h) => h.memory.id)).toEqual([lexical.id]);
      expect(hits[0]!.score).not.toBeCloseTo(1 / 61, 6);
    });
  });
}
