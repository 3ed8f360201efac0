import { defineConfig } from 'vitest/config';

if (!process.env.TEST_POSTGRES_URL) {
  throw new Error('TEST_POSTGRES_URL is not set: the PostgreSQL suite needs a database (for example postgres://postgres@127.0.0.1:5432/cairn_test). .ci/run creates one per run.');
}

// The PostgreSQL suite: storage conformance and HTTP-level tests against a real server.
export default defineConfig({
  test: {
    include: ['src/**/*.pg.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // One file at a time: each file creates (and drops) its own database through src/testing/postgres.ts,
    // and running them together would only make the 2-core machine slower and the timings flakier.
    fileParallelism: false,
  },
});
