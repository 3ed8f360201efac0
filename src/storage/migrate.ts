import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import type { MigrationFile } from './dialects/dialect.js';
import type { Storage } from './db.js';

/** migrations/ at the package root: two levels up from both src/storage and dist/storage. */
export const MIGRATIONS_ROOT = fileURLToPath(new URL('../../migrations/', import.meta.url));

export class MigrationError extends Error {
  override readonly name = 'MigrationError';
}

/** Reads migrations/<dialect>/NNNN_name.sql in version order, refusing gaps and duplicate versions. */
export function readMigrations(dialect: 'sqlite' | 'postgres', root = MIGRATIONS_ROOT): MigrationFile[] {
  const dir = `${root}${dialect}`;
  if (!existsSync(dir)) {
    throw new MigrationError(`The migrations folder ${dir} is missing; the installation is incomplete (reinstall Cairn).`);
  }
  const files = readdirSync(dir).filter((f) => f.endsWith('.sql')).sort();
  const migrations = files.map((file) => {
    const m = /^(\d{4})_([a-z0-9_]+)\.sql$/.exec(file);
    if (!m) throw new MigrationError(`Unexpected file ${dir}/${file}: migrations are named NNNN_name.sql.`);
    const script = readFileSync(`${dir}/${file}`, 'utf8');
    return { version: Number(m[1]), name: m[2]!, script, checksum: createHash('sha256').update(script).digest('hex') };
  });
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new MigrationError(`Migration versions must be 0001, 0002, … without gaps; found ${file(m)} at position ${i + 1}.`);
  });
  return migrations;
}

function file(m: MigrationFile): string {
  return `${String(m.version).padStart(4, '0')}_${m.name}.sql`;
}

export interface MigrationReport {
  readonly applied: string[];
  readonly current: number;
}

/**
 * Applies pending migrations in one transaction under the dialect's migration lock. Refuses to run when
 * an applied migration's file changed or when the database is newer than this code, naming the file.
 */
export async function migrate(storage: Storage, migrations = readMigrations(storage.dialect.name)): Promise<MigrationReport> {
  const { db, dialect } = storage;
  return dialect.withMigrationLock(db, async (trx) => {
    await sql`CREATE TABLE IF NOT EXISTS cairn_migrations (
      version INTEGER PRIMARY KEY,
      name TEXT NOT NULL,
      checksum TEXT NOT NULL,
      applied_at BIGINT NOT NULL
    )`.execute(trx);
    const applied = await trx.selectFrom('cairn_migrations').selectAll().orderBy('version').execute();
    const known = new Map(migrations.map((m) => [m.version, m]));
    for (const row of applied) {
      const m = known.get(row.version);
      if (!m) {
        throw new MigrationError(
          `The database has migration ${row.version} (${row.name}) that this version of Cairn does not know: it was migrated by a newer Cairn. Upgrade Cairn, or restore a backup.`,
        );
      }
      if (m.checksum !== row.checksum) {
        throw new MigrationError(`Migration ${file(m)} was changed after it was applied to this database; restore the original file.`);
      }
    }
    const done = new Set(applied.map((r) => r.version));
    const report: string[] = [];
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      await dialect.runScript(trx, m.script);
      await trx.insertInto('cairn_migrations').values({ version: m.version, name: m.name, checksum: m.checksum, applied_at: Date.now() }).execute();
      report.push(file(m));
    }
    return { applied: report, current: migrations.length };
  });
}

/** The pending migration files, without applying them (for readiness and `cairn doctor`). */
export async function pendingMigrations(storage: Storage, migrations = readMigrations(storage.dialect.name)): Promise<string[]> {
  const { db } = storage;
  const rows = await db.transaction().execute(async (trx) => {
    if (!(await storage.dialect.hasMigrationsTable(trx))) return [];
    return trx.selectFrom('cairn_migrations').select('version').execute();
  });
  const done = new Set(rows.map((r) => r.version));
  return migrations.filter((m) => !done.has(m.version)).map(file);
}
