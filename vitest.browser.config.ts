import { defineConfig } from 'vitest/config';

// `npm run test:browser`: end-to-end tests that drive Debian's Chromium (apt-get install chromium) through
// playwright-core against a real listening Cairn. .ci/run installs Chromium when it is missing.
export default defineConfig({
  test: {
    include: ['src/**/*.browser.test.ts'],
    testTimeout: 90_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Each file starts a server and a browser; one at a time keeps a 2-core machine's timings sane.
    fileParallelism: false,
  },
});
