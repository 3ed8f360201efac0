import { afterAll } from 'vitest';
import { runAccountPagesSuite } from '../../testing/account-pages.suite.js';
import { createTestDatabase, type TestDatabase } from '../../testing/postgres.js';

const databases: TestDatabase[] = [];

runAccountPagesSuite('PostgreSQL', async () => {
  const db = await createTestDatabase('accounts');
  databases.push(db);
  return db.url;
});

afterAll(async () => {
  await Promise.all(databases.map((db) => db.drop()));
});
