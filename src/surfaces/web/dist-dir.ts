import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where the built dashboard is: `web/dist` of the Cairn package, found by walking up from this module to the
 * package's own package.json, so it is the same from dist/ (npm start) and from src/ (tsx, tests).
 */
export function defaultWebDist(from: string = fileURLToPath(import.meta.url)): string {
  let dir = dirname(from);
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && isCairn(manifest)) return join(dir, 'web', 'dist');
    const parent = dirname(dir);
    if (parent === dir) return join(dirname(from), 'web', 'dist');
    dir = parent;
  }
}

function isCairn(manifest: string): boolean {
  try {
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === 'cairn';
  } catch {
    return false;
  }
}
