import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../app.js';
import { createLogger } from '../../logging.js';
import { openRuntime } from '../../runtime.js';
import { migrate, readMigrations } from '../../storage/migrate.js';
import { buildTestApp, TEST_SECRET } from '../../testing/build-test-app.js';

describe('/healthz and /readyz on a migrated database', () => {
  it('both answer 200 without a credential and are not cached', async () => {
    const t = await buildTestApp();
    try {
      const health = await t.call('GET', '/healthz');
      expect(health.statusCode).toBe(200);
      expect(health.json()).toEqual({ status: 'ok' });
      expect(health.headers['cache-control']).toBe('no-store');
      const ready = await t.call('GET', '/readyz');
      expect(ready.statusCode).toBe(200);
      expect(ready.json()).toEqual({ status: 'ready' });
      expect(ready.headers['cache-control']).toBe('no-store');
    } finally {
      await t.close();
    }
  });
});

describe('/readyz when the schema is behind the code', () => {
  it('is 503 naming every pending migration while /healthz stays 200, and 200 once migrated (no restart)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cairn-health-'));
    const runtime = await openRuntime({
      env: { CAIRN_DATA_DIR: dataDir, CAIRN_DATABASE_URL: 'sqlite::memory:', CAIRN_SECRET: TEST_SECRET, CAIRN_LOG_LEVEL: 'silent' },
      migrate: 'never',
      logger: createLogger('silent'),
    });
    const app = await buildApp({ config: runtime.config, services: runtime.services, logger: runtime.logger });
    try {
      const files = readMigrations('sqlite').map((m) => `${String(m.version).padStart(4, '0')}_${m.name}.sql`);
      expect(files.length).toBeGreaterThan(0);

      const behind = await app.inject({ method: 'GET', url: '/readyz' });
      expect(behind.statusCode).toBe(503);
      const body = behind.json() as { status: string; reason: string };
      expect(body.status).toBe('unavailable');
      expect(body.reason).toBe(`pending migrations: ${files.join(', ')}`);
      expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);

      await migrate(runtime.storage);
      expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    } finally {
      await app.close();
      await runtime.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
