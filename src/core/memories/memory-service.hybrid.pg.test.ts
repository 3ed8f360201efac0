import { afterAll, beforeAll } from 'vitest';
import { runHybridSearchSuite } from '../../testing/hybrid-search.suite.js';
import { createTestDatabase, type TestDatabase } from '../../testing/postgres.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase('cairn_hybrid');
});
afterAll(async () => database?.drop());

// Here PostgreSQL has no pgvector, so this runs the exact (in-application) vector path.
runHybridSearchSuite(async () => {
  await database.reset();
  return database.url;
});
