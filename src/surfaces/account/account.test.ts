import { runAccountPagesSuite } from '../../testing/account-pages.suite.js';

runAccountPagesSuite('SQLite', async () => undefined);
