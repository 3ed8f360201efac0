import { runHybridSearchSuite } from '../../testing/hybrid-search.suite.js';

runHybridSearchSuite(async () => undefined);
