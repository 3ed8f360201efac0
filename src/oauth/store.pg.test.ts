import { openStorage } from '../storage/db.js';
import { migrate } from '../storage/migrate.js';
import { createTestDatabase } from '../testing/postgres.js';
import { runOAuthStoreSuite } from './store.suite.js';

runOAuthStoreSuite('postgres', async () => {
  const database = await createTestDatabase('oauth_store');
  const storage = openStorage({ dialect: 'postgres', url: database.url, poolSize: 4 });
  await migrate(storage);
  return {
    storage,
    close: async () => {
      await storage.close();
      await database.drop();
    },
  };
});
