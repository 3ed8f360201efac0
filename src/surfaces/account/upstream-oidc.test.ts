import { runUpstreamLoginSuite } from '../../testing/upstream-login.suite.js';

runUpstreamLoginSuite('SQLite', async () => undefined);
