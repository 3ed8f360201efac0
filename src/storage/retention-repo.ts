import type { Kysely, Transaction } from 'kysely';
import type { RetentionStore } from '../core/retention/retention.js';
import type { Database } from './schema.js';

/**
 * `RetentionStore` over Kysely, the same SQL on both dialects. Every batch is one transaction that first takes the
 * row lock of `audit_purge` (migration 0009): on PostgreSQL two instances sweeping at once take turns batch by batch
 * instead of deleting the same rows; SQLite has one writer anyway.
 */
export class KyselyRetentionStore implements RetentionStore {
  constructor(private readonly db: Kysely<Database>) {}

  async purgeDeletedMemories(before: number, limit: number): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      await lock(trx);
      // The condition is on the DELETE itself, not only on the sub-select, so a memory restored while this
      // statement waited for its row is left alone. Vectors, embedding jobs and versions go by ON DELETE CASCADE,
      // SQLite's full-text rows by the memories_fts_delete trigger; PostgreSQL's search vector is a column.
      const result = await trx
        .deleteFrom('memories')
        .where('state', '=', 'deleted')
        .where('updated_at', '<', before)
        .where('id', 'in', (eb) =>
          eb.selectFrom('memories').select('id').where('state', '=', 'deleted').where('updated_at', '<', before).orderBy('updated_at').orderBy('id').limit(limit),
        )
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    });
  }

  async purgeAuditEvents(before: number, limit: number): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      // The append-only trigger lets a DELETE through only for rows older than before_at, which is raised for this
      // batch and back to 0 before the transaction commits: outside this method nothing can delete an audit row.
      await trx.updateTable('audit_purge').set({ before_at: before }).where('id', '=', 1).execute();
      const result = await trx
        .deleteFrom('audit_log')
        .where('at', '<', before)
        .where('id', 'in', (eb) => eb.selectFrom('audit_log').select('id').where('at', '<', before).orderBy('at').orderBy('id').limit(limit))
        .executeTakeFirst();
      await trx.updateTable('audit_purge').set({ before_at: 0 }).where('id', '=', 1).execute();
      return Number(result.numDeletedRows);
    });
  }
}

/** Takes (and holds until commit) the row lock of the one audit_purge row, leaving its value at 0. */
async function lock(trx: Transaction<Database>): Promise<void> {
  await trx.updateTable('audit_purge').set({ before_at: 0 }).where('id', '=', 1).execute();
}
