import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** A database created for one test file; `drop` removes it even while connections are still open. */
export interface TestDatabase {
  readonly name: string;
  /** The same server, user and options as TEST_POSTGRES_URL, pointing at the new database. */
  readonly url: string;
  /** Drops every object in the database (the public schema), so the next test starts from nothing. */
  reset(): Promise<void>;
  drop(): Promise<void>;
}

/**
 * The admin URL the PostgreSQL suite runs against. Tests are outside `config/`, and this variable is not a
 * Cairn setting: it tells the test run where a throwaway server is, so it is read here and nowhere else.
 */
export function testPostgresUrl(env: NodeJS.ProcessEnv = process.env): string {
  const url = env.TEST_POSTGRES_URL;
  if (!url) throw new Error('TEST_POSTGRES_URL is not set: run the PostgreSQL suite with vitest.postgres.config.ts and a server URL.');
  return url;
}

/**
 * Creates a uniquely named database on the TEST_POSTGRES_URL server, so each test file has its own and
 * files never see each other's rows, locks or migrations (even when run in parallel).
 */
export async function createTestDatabase(label = 'cairn', adminUrl = testPostgresUrl()): Promise<TestDatabase> {
  // Lower-case letters, digits and _ only: a name that needs no quoting rules beyond the double quotes.
  const name = `${label.toLowerCase().replace(/[^a-z0-9_]/g, '_').slice(0, 30)}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  await withAdmin(adminUrl, (c) => c.query(`CREATE DATABASE "${name}"`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    reset: () =>
      withAdmin(url.toString(), async (c) => {
        await c.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public');
      }),
    // WITH (FORCE) ends sessions a failed test left open, which would otherwise make the drop fail.
    drop: () => withAdmin(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined),
  };
}

async function withAdmin<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
