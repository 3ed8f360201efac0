// A throw-away Cairn with a seeded workspace, for working on the dashboard: `npm run build:web`, then
// `node --import tsx scripts/dashboard-dev.ts [seconds]`. It prints the URL and the sign-in, and stops by
// itself after the given time (default 1800 s) or on Ctrl-C. Data lives in a temporary directory.
import { seedDashboard, SEED_ADMIN } from '../src/testing/dashboard-seed.js';
import { startLiveServer } from '../src/testing/live-server.js';

const seconds = Number(process.argv[2] ?? 1800);
const server = await startLiveServer();
await seedDashboard(server);
console.log(`Cairn dashboard: ${server.url}/  sign in as ${SEED_ADMIN.email} / ${SEED_ADMIN.password}`);
const stop = async () => {
  await server.close();
  process.exit(0);
};
setTimeout(() => void stop(), seconds * 1000).unref();
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
await new Promise(() => {});
