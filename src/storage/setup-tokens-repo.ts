import type { Kysely, Selectable } from 'kysely';
import type { SetupGrant, SetupTokenRecord, SetupTokenStore } from '../accounts/setup-tokens.js';
import type { AccountSetupTokensTable, Database } from './schema.js';

export class KyselySetupTokenStore implements SetupTokenStore {
  constructor(private readonly db: Kysely<Database>) {}

  async replace(record: SetupTokenRecord): Promise<void> {
    const userId = record.grant.purpose === 'set_password' ? record.grant.userId : null;
    await this.db.transaction().execute(async (trx) => {
      let stale = trx.deleteFrom('account_setup_tokens').where('purpose', '=', record.grant.purpose);
      if (userId !== null) stale = stale.where('user_id', '=', userId);
      await stale.execute();
      await trx
        .insertInto('account_setup_tokens')
        .values({ hash: record.hash, purpose: record.grant.purpose, user_id: userId, expires_at: record.expiresAt, created_at: record.createdAt })
        .execute();
    });
  }

  async find(hash: string, now: number): Promise<SetupTokenRecord | undefined> {
    const row = await this.db.selectFrom('account_setup_tokens').selectAll().where('hash', '=', hash).where('expires_at', '>', now).executeTakeFirst();
    return row ? toRecord(row) : undefined;
  }

  async consume(hash: string, now: number): Promise<SetupTokenRecord | undefined> {
    const row = await this.db.deleteFrom('account_setup_tokens').where('hash', '=', hash).where('expires_at', '>', now).returningAll().executeTakeFirst();
    return row ? toRecord(row) : undefined;
  }
}

function toRecord(row: Selectable<AccountSetupTokensTable>): SetupTokenRecord {
  const grant: SetupGrant = row.purpose === 'set_password' && row.user_id !== null ? { purpose: 'set_password', userId: row.user_id } : { purpose: 'first_admin' };
  return { hash: row.hash, grant, expiresAt: Number(row.expires_at), createdAt: Number(row.created_at) };
}
