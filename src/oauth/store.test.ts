import { openStorage } from '../storage/db.js';
import { migrate } from '../storage/migrate.js';
import { runOAuthStoreSuite } from './store.suite.js';

runOAuthStoreSuite('sqlite', async () => {
  const storage = openStorage({ dialect: 'sqlite', path: ':memory:' });
  await migrate(storage);
  return { storage, close: () => storage.close() };
});
