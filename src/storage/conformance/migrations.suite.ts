import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Storage } from '../db.js';
import type { MigrationFile } from '../dialects/dialect.js';
import { migrate, MigrationError, pendingMigrations, readMigrations } from '../migrate.js';
import type { StorageFactory } from './fixture.js';

const fileName = (m: MigrationFile) => `${String(m.version).padStart(4, '0')}_${m.name}.sql`;

/** Migration bookkeeping (storage/migrate.ts) on a real database, starting from an empty one. */
export function runMigrationsSuite(factory: StorageFactory): void {
  // One describe per suite, so its beforeEach/afterEach hooks run for its own tests only.
  describe('migrations', () => {
    let storage: Storage;
    let dir: string;
    beforeEach(async () => {
      storage = await factory();
      dir = mkdtempSync(join(tmpdir(), 'cairn-migrations-'));
    });
    afterEach(async () => {
      await storage.close();
      rmSync(dir, { recursive: true, force: true });
    });

    /** A migrations root holding `files` for this dialect (readMigrations reads <root><dialect>/). */
    function migrationsRoot(files: Record<string, string>): string {
      const folder = join(dir, storage.dialect.name);
      mkdirSync(folder, { recursive: true });
      for (const [name, text] of Object.entries(files)) writeFileSync(join(folder, name), text);
      return `${dir}/`;
    }

    const versions = async () => (await storage.db.selectFrom('cairn_migrations').select(['version', 'name']).orderBy('version').execute()).map((r) => Number(r.version));

    describe('migrations: applying', () => {
      it('applies every migration to an empty database, then finds nothing to do on a second run', async () => {
        const all = readMigrations(storage.dialect.name);
        const names = all.map(fileName);
        expect(await pendingMigrations(storage)).toEqual(names);
        const first = await migrate(storage);
        expect(first.applied).toEqual(names);
        expect(first.current).toBe(all.length);
        await storage.db.insertInto('workspaces').values({ id: 'ws_keep', name: 'kept', kind: 'shared', created_at: 1 }).execute();
        const second = await migrate(storage);
        expect(second).toEqual({ applied: [], current: all.length });
        expect(await pendingMigrations(storage)).toEqual([]);
        expect(await versions()).toEqual(all.map((m) => m.version));
        // Re-running touched no data.
        expect(await storage.db.selectFrom('workspaces').select('name').where('id', '=', 'ws_keep').executeTakeFirst()).toEqual({ name: 'kept' });
      });

      it('starts every existing memory history with a baseline version when the history table arrives (0008)', async () => {
        const all = readMigrations(storage.dialect.name);
        await migrate(storage, all.filter((m) => m.version < 8));
        const db = storage.db;
        await db.insertInto('users').values({ id: 'usr_1', email: 'ada@example.com', name: null, is_admin: 0, disabled_at: null, created_at: 1 }).execute();
        await db.insertInto('workspaces').values({ id: 'ws_1', name: 'ada', kind: 'personal', created_at: 1 }).execute();
        await db.insertInto('apps').values({ id: 'app_1', workspace_id: 'ws_1', name: 'claude', created_at: 1 }).execute();
        const row = { workspace_id: 'ws_1', author_user_id: 'usr_1', app_id: 'app_1', metadata: '{"k":1}', created_at: 1 };
        await db.insertInto('memories').values({ ...row, id: 'mem_a', content: 'kept as it was', state: 'archived', content_hash: 'h1', updated_at: 5 }).execute();
        await db.insertInto('memories').values({ ...row, id: 'mem_b', content: 'another', state: 'active', content_hash: 'h2', updated_at: 7 }).execute();
        await migrate(storage);
        const versions = await db.selectFrom('memory_versions').select(['memory_id', 'version', 'action', 'content', 'state', 'at', 'user_id', 'app_id']).orderBy('memory_id').execute();
        expect(versions.map((v) => ({ ...v, version: Number(v.version), at: Number(v.at) }))).toEqual([
          { memory_id: 'mem_a', version: 1, action: 'baseline', content: 'kept as it was', state: 'archived', at: 5, user_id: 'usr_1', app_id: 'app_1' },
          { memory_id: 'mem_b', version: 1, action: 'baseline', content: 'another', state: 'active', at: 7, user_id: 'usr_1', app_id: 'app_1' },
        ]);
      });

      it('applies only the new migration when one is added on top of an applied set', async () => {
        const base = readMigrations(storage.dialect.name);
        await migrate(storage, base);
        const files = Object.fromEntries(base.map((m) => [fileName(m), m.script]));
        const next = String(base.length + 1).padStart(4, '0');
        const root = migrationsRoot({ ...files, [`${next}_add_probe.sql`]: 'CREATE TABLE probe_added (id INTEGER NOT NULL);\nINSERT INTO probe_added (id) VALUES (42);\n' });
        const report = await migrate(storage, readMigrations(storage.dialect.name, root));
        expect(report.applied).toEqual([`${next}_add_probe.sql`]);
        const rows = await sql<{ id: number }>`SELECT id FROM probe_added`.execute(storage.db);
        expect(rows.rows.map((r) => Number(r.id))).toEqual([42]);
      });

      it('rolls a failing migration back completely: no half-applied script, no bookkeeping row', async () => {
        const base = readMigrations(storage.dialect.name);
        await migrate(storage, base);
        const files = Object.fromEntries(base.map((m) => [fileName(m), m.script]));
        const next = String(base.length + 1).padStart(4, '0');
        const root = migrationsRoot({ ...files, [`${next}_broken.sql`]: 'CREATE TABLE probe_broken (id INTEGER);\nTHIS IS NOT SQL;\n' });
        await expect(migrate(storage, readMigrations(storage.dialect.name, root))).rejects.toThrow();
        expect(await versions()).toEqual(base.map((m) => m.version));
        await expect(sql`SELECT count(*) FROM probe_broken`.execute(storage.db)).rejects.toThrow();
      });
    });

    describe('migrations: refusing an inconsistent database', () => {
      it('refuses to run when an applied migration file was changed, naming the file', async () => {
        const base = readMigrations(storage.dialect.name);
        await migrate(storage, base);
        const edited = base.map((m, i) => (i === 0 ? { ...m, script: `${m.script}\n-- edited`, checksum: 'f'.repeat(64) } : m));
        const err = await migrate(storage, edited).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(MigrationError);
        expect((err as Error).message).toContain(`0001_${base[0]!.name}.sql`);
        expect((err as Error).message).toMatch(/changed after it was applied/);
      });

      it('refuses a database migrated by a newer Cairn (an applied version this code does not know)', async () => {
        await migrate(storage);
        await storage.db.insertInto('cairn_migrations').values({ version: 999, name: 'from_the_future', checksum: 'x', applied_at: 1 }).execute();
        const err = await migrate(storage).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(MigrationError);
        expect((err as Error).message).toMatch(/999 \(from_the_future\).*newer Cairn/);
      });
    });

    describe('migrations: reading the folder', () => {
      it('reads files in version order with a checksum of their text', () => {
        const root = migrationsRoot({ '0002_second.sql': 'SELECT 2;', '0001_first.sql': 'SELECT 1;' });
        const read = readMigrations(storage.dialect.name, root);
        expect(read.map((m) => [m.version, m.name, m.script])).toEqual([
          [1, 'first', 'SELECT 1;'],
          [2, 'second', 'SELECT 2;'],
        ]);
        expect(read[0]!.checksum).toMatch(/^[0-9a-f]{64}$/);
        expect(read[0]!.checksum).not.toBe(read[1]!.checksum);
      });

      it('refuses a gap in the versions, naming the file', () => {
        const root = migrationsRoot({ '0001_first.sql': 'SELECT 1;', '0003_third.sql': 'SELECT 3;' });
        expect(() => readMigrations(storage.dialect.name, root)).toThrow(/0003_third\.sql/);
      });

      it('refuses a duplicate version', () => {
        const root = migrationsRoot({ '0001_first.sql': 'SELECT 1;', '0001_again.sql': 'SELECT 1;' });
        expect(() => readMigrations(storage.dialect.name, root)).toThrow(MigrationError);
      });

      it.each(['1_init.sql', '0001-init.sql', '0001_Init.sql', '00001_init.sql', '0001_.sql'])('refuses the badly named file %s', (name) => {
        const root = migrationsRoot({ [name]: 'SELECT 1;' });
        expect(() => readMigrations(storage.dialect.name, root)).toThrow(new RegExp(name.replace(/\./g, '\\.')));
      });

      it('ignores files that are not .sql and refuses a missing folder', () => {
        const root = migrationsRoot({ '0001_first.sql': 'SELECT 1;', 'README.md': '# notes' });
        expect(readMigrations(storage.dialect.name, root)).toHaveLength(1);
        expect(() => readMigrations(storage.dialect.name, `${dir}/nowhere/`)).toThrow(/missing/);
      });
    });
  });
}
