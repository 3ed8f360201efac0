// `npm start` runs this after the server build: the dashboard is built once (on install, by `prepare`), and
// rebuilt here only when web/dist/index.html is missing (a checkout installed with --ignore-scripts, say), so the
// README's start command always serves a dashboard without rebuilding it on every start.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
if (!existsSync(join(root, 'web', 'dist', 'index.html'))) {
  console.error('cairn: building the dashboard (web/dist is missing)…');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const run = spawnSync(npm, ['run', 'build:web', '--silent'], { cwd: root, stdio: 'inherit' });
  if (run.status !== 0) {
    console.error('cairn: the dashboard did not build; the server will start and say so at /. Run `npm run build:web` to see why.');
  }
}
