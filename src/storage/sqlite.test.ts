import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe } from 'vitest';
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

const suites = [runMemoriesSuite, runUsersSuite, runApiKeysSuite, runAuditSuite, runMigrationsSuite, runBadDataSuite, runVectorsSuite, runDashboardSuite, runRetentionSuite, runTransferSuite, runWorkspacesSuite];

const inMemory: StorageFactory = async () => openStorage({ dialect: 'sqlite', path: ':memory:' });

// A file exercises what :memory: cannot: WAL journaling and the busy timeout on a real file.
const dir = mkdtempSync(join(tmpdir(), 'cairn-sqlite-conformance-'));
let n = 0;
const onDisk: StorageFactory = async () => openStorage({ dialect: 'sqlite', path: join(dir, `db-${++n}`, 'cairn.db') });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('SQLite in memory', () => {
  for (const run of suites) run(inMemory);
});

describe('SQLite file', () => {
  for (const run of suites) run(onDisk);
});
