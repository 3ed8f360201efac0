import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openRuntime, type Runtime } from '../runtime.js';
import { createTestDatabase, type TestDatabase } from '../testing/postgres.js';
import { readMigrations } from './migrate.js';

const SECRET = 'migrations-pg-test-secret-0123456789-abcdefghij';
// The advisory lock id in dialects/postgres.ts ("cair"); the test holds it to show start-up waits for it.
const MIGRATION_LOCK_ID = 0x63616972;

let database: TestDatabase;
let dataDir: string;
const opened: Runtime[] = [];

beforeEach(async () => {
  database = await createTestDatabase('cairn_migrations');
  dataDir = mkdtempSync(join(tmpdir(), 'cairn-migrations-pg-'));
});
afterEach(async () => {
  await Promise.allSettled(opened.splice(0).map((r) => r.close()));
  await database.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function start(): Promise<Runtime> {
  const runtime = await openRuntime({
    env: { CAIRN_DATABASE_URL: database.url, CAIRN_SECRET: SECRET, CAIRN_LOG_LEVEL: 'silent', CAIRN_DATA_DIR: dataDir, CAIRN_DATABASE_POOL_SIZE: '2' },
    migrate: 'config',
  });
  opened.push(runtime);
  return runtime;
}

async function appliedRows(): Promise<{ version: number; name: string }[]> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    const r = await client.query<{ version: number; name: string }>('SELECT version, name FROM cairn_migrations ORDER BY version');
    return r.rows;
  } finally {
    await client.end();
  }
}

describe('PostgreSQL start-up: several instances migrating one database at once', () => {
  it('all start, exactly one applies each migration, and the others find nothing to do', async () => {
    const expected = readMigrations('postgres').map((m) => `${String(m.version).padStart(4, '0')}_${m.name}.sql`);
    const runtimes = await Promise.all(Array.from({ length: 5 }, () => start()));
    const reports = runtimes.map((r) => r.migrations?.applied ?? null);
    expect(reports.filter((a) => a !== null && a.length > 0)).toEqual([expected]);
    expect(reports.filter((a) => a !== null && a.length === 0)).toHaveLength(4);
    expect(await appliedRows()).toEqual(readMigrations('postgres').map((m) => ({ version: m.version, name: m.name })));
    // Every instance is usable, and they see one another's writes.
    const { user } = await runtimes[0]!.services.users.create({ email: 'ada@example.com' });
    for (const r of runtimes) expect((await r.services.users.byEmail('ada@example.com')).id).toBe(user.id);
  });

  it('an instance starting while another holds the migration lock waits for it, then starts', async () => {
    const holder = new pg.Client({ connectionString: database.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_ID]);
      let done = false;
      const starting = start().then((r) => {
        done = true;
        return r;
      });
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(done).toBe(false);
      await holder.query('COMMIT');
      const runtime = await starting;
      expect(runtime.migrations?.applied).toEqual(readMigrations('postgres').map((m) => `${String(m.version).padStart(4, '0')}_${m.name}.sql`));
    } finally {
      await holder.end();
    }
  });

  it('an instance started after the schema is current applies nothing and starts', async () => {
    await start();
    const later = await start();
    expect(later.migrations).toEqual({ applied: [], current: readMigrations('postgres').length });
  });
});
