import pg from 'pg';

/**
 * A throw-away database beside the one `adminUrl` names (the role needs CREATEDB), so the benchmark never
 * writes into a database someone uses. Same shape as bench/retrieval/postgres-scratch.ts, with its own name.
 */
export async function createScratchDatabase(adminUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `cairn_bench_search_latency_${process.pid}`;
  await withClient(adminUrl, async (c) => {
    await c.query(`DROP DATABASE IF EXISTS ${name}`);
    await c.query(`CREATE DATABASE ${name}`);
  });
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  // WITH (FORCE) (PostgreSQL 13+) ends connections a failed run may have left open.
  return { url: url.toString(), drop: () => withClient(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).then(() => undefined)) };
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
