import pg from 'pg';

/**
 * A throw-away database beside the one `adminUrl` names, so a benchmark never writes into a database
 * someone uses. The role needs CREATEDB. `drop()` runs even when the benchmark fails. `label` names the
 * benchmark in the database name (cairn_bench_<label>_<pid>).
 */
export async function createScratchDatabase(adminUrl: string, label: string): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const name = `cairn_bench_${label.replace(/[^a-z0-9_]/g, '_')}_${process.pid}`;
  await withClient(adminUrl, async (c) => {
    await c.query(`DROP DATABASE IF EXISTS ${name}`);
    await c.query(`CREATE DATABASE ${name}`);
  });
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    // WITH (FORCE) (PostgreSQL 13+) ends connections a failed run may have left open.
    drop: () => withClient(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).then(() => undefined)),
  };
}

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
