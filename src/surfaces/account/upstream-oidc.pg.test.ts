import { afterAll } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../testing/postgres.js';
import { runUpstreamLoginSuite } from '../../testing/upstream-login.suite.js';

const databases: TestDatabase[] = [];

runUpstreamLoginSuite('PostgreSQL', async () => {
  const db = await createTestDatabase('upstream');
  databases.push(db);
  return db.url;
});

afterAll(async () => {
  await Promise.all(databases.map((db) => db.drop()));
});
