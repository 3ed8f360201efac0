import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp } from '../../../testing/build-test-app.js';
import { createTestDatabase, type TestDatabase } from '../../../testing/postgres.js';
import { exportOf, importInto, seeded } from '../../../testing/transfer-fixtures.js';

// The round trip across dialects: a SQLite server's export imported into PostgreSQL exports to the same bytes
// (jsonb reorders metadata keys; the export's canonical key order must not notice), and back into SQLite again.

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase('cairn_transfer');
});
afterAll(async () => {
  await database?.drop();
});

describe('export and import across SQLite and PostgreSQL', () => {
  it('SQLite → PostgreSQL → SQLite gives byte-identical JSONL', async () => {
    const source = await seeded(await buildTestApp());
    const pg = await buildTestApp({ databaseUrl: database.url });
    const back = await buildTestApp();
    try {
      const first = await exportOf(source.t, source.key);
      const owner = await pg.createUser('ana@example.com');
      const key = (await pg.createKey(owner, { name: 'test-client' })).key;
      const res = await importInto(pg, key, first);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ created: 5 });
      const second = await exportOf(pg, key);
      expect(second).toBe(first);
      expect((await importInto(pg, key, first)).json()).toMatchObject({ created: 0, unchanged: 5 });

      const owner2 = await back.createUser('ana@example.com');
      const key2 = (await back.createKey(owner2, { name: 'test-client' })).key;
      expect((await importInto(back, key2, second)).statusCode).toBe(200);
      expect(await exportOf(back, key2)).toBe(first);
    } finally {
      await Promise.all([source.t.close(), pg.close(), back.close()]);
    }
  });
});
