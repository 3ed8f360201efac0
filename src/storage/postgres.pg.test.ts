import { afterAll, beforeAll, describe } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../testing/postgres.js';
import { runApiKeysSuite } from './conformance/api-keys.suite.js';
import { runAuditSuite } from './conformance/audit.suite.js';
import { runBadDataSuite } from './conformance/bad-data.suite.js';
import { runDashboardSuite } from './conformance/dashboard.suite.js';
import type { StorageFactory } from './conformance/fixture.js';
import { runMemoriesSuite } from './conformance/memories.suite.js';
import { runMigrationsSuite } from './conformance/migrations.suite.js';
import { runRetentionSuite } from './conformance/retention.suite.js';
import { runTransferSuite } from './conformance/transfer.suite.js';
import { runUsersSuite } from './conformance/users.suite.js';
import { runVectorsSuite } from './conformance/vectors.suite.js';
import { runWorkspacesSuite } from './conformance/workspaces.suite.js';
import { openStorage } from './db.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase('cairn_conformance');
});
afterAll(async () => database?.drop());

// One database for this file; each test starts from an empty public schema. Tests in a file run one at a
// time, and every fixture closes its pool in afterEach, so nothing holds the schema while it is dropped.
const postgres: StorageFactory = async () => {
  await database.reset();
  return openStorage({ dialect: 'postgres', url: database.url, poolSize: 5 });
};

describe('PostgreSQL', () => {
  runMemoriesSuite(postgres);
  runUsersSuite(postgres);
  runApiKeysSuite(postgres);
  runDashboardSuite(postgres);
  runAuditSuite(postgres);
  runMigrationsSuite(postgres);
  runBadDataSuite(postgres);
  runVectorsSuite(postgres);
  runRetentionSuite(postgres);
  runTransferSuite(postgres);
  runWorkspacesSuite(postgres);
});
