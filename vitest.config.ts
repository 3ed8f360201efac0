import { defineConfig } from 'vitest/config';

// `npm test`: everything that needs no external service. PostgreSQL suites are *.pg.test.ts and run
// with vitest.postgres.config.ts (CI sets TEST_POSTGRES_URL); they are excluded here, not skipped.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'bench/**/*.test.ts'],
    exclude: ['**/*.pg.test.ts', '**/*.browser.test.ts', 'node_modules/**', 'dist/**'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
