#!/usr/bin/env node
// The `cairn` command. A thin shim so the bin path is stable while the real code lives in dist/, which
// `npm ci` builds (the prepare script). A fresh clone without a build gets a clear instruction, not a stack.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  const root = fileURLToPath(new URL('..', import.meta.url));
  process.stderr.write(
    `Cairn is not built yet: ${fileURLToPath(entry)} is missing.\n` +
      `Run \`npm run build\` (or \`npm ci\`, which builds) in ${root}, then try again.\n`,
  );
  process.exit(1);
}
const { main } = await import(entry.href);
await main();
