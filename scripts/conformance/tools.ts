import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../../src/testing/cairn-process.js';

const run = promisify(execFile);

/**
 * The official MCP conformance suite, pinned exactly: 0.2.0-alpha.12 is the first release with the
 * `authorization` mode and the 2026-07-28 scenarios (the `latest` tag, 0.1.x, has neither). Changing it is a
 * deliberate, reviewed edit, like a lockfile bump.
 */
export const CONFORMANCE_VERSION = '0.2.0-alpha.12';
/** The suite needs Node 22 (it imports fs.globSync); Cairn itself runs on Node 20. */
export const NODE_MAJOR = 22;

/** Git-ignored; nothing here is a dependency of Cairn (package.json never mentions either tool). */
export const TOOLS_DIR = join(REPO_ROOT, '.tools');

export interface ConformanceTools {
  /** The Node 22 binary that runs the suite. */
  readonly node: string;
  /** The suite's CLI entry point, run as `<node> <entry> server|authorization …`. */
  readonly entry: string;
}

/**
 * Installs Node 22 and the pinned suite into .tools/ from the npm registry unless the right versions are
 * already there, and returns how to run the suite. Node comes as the npm package `node-<os>-<arch>`, which
 * carries the binary inside the package (no download from anywhere but the registry).
 */
export async function ensureConformanceTools(log: (line: string) => void): Promise<ConformanceTools> {
  const nodePackage = `node-${process.platform}-${process.arch}`;
  const nodePrefix = join(TOOLS_DIR, `node${NODE_MAJOR}`);
  const node = join(nodePrefix, 'node_modules', nodePackage, 'bin', 'node');
  if (!(await isNodeMajor(node, NODE_MAJOR))) {
    log(`installing ${nodePackage}@${NODE_MAJOR} into ${nodePrefix}`);
    await npmInstall(nodePrefix, `${nodePackage}@${NODE_MAJOR}`);
    if (!(await isNodeMajor(node, NODE_MAJOR))) throw new Error(`${node} is not Node ${NODE_MAJOR} after installing ${nodePackage}@${NODE_MAJOR}`);
  }

  const suitePrefix = join(TOOLS_DIR, 'conformance');
  const suiteDir = join(suitePrefix, 'node_modules', '@modelcontextprotocol', 'conformance');
  if (installedVersion(suiteDir) !== CONFORMANCE_VERSION) {
    log(`installing @modelcontextprotocol/conformance@${CONFORMANCE_VERSION} into ${suitePrefix}`);
    await npmInstall(suitePrefix, `@modelcontextprotocol/conformance@${CONFORMANCE_VERSION}`);
    const got = installedVersion(suiteDir);
    if (got !== CONFORMANCE_VERSION) throw new Error(`expected @modelcontextprotocol/conformance ${CONFORMANCE_VERSION} in ${suiteDir}, found ${got ?? 'nothing'}`);
  }
  const bin = (JSON.parse(readFileSync(join(suiteDir, 'package.json'), 'utf8')) as { bin: Record<string, string> }).bin.conformance;
  if (!bin) throw new Error(`${suiteDir}/package.json declares no "conformance" bin`);
  const { stdout } = await run(node, ['--version']);
  log(`suite @modelcontextprotocol/conformance@${CONFORMANCE_VERSION} on node ${stdout.trim()}`);
  return { node, entry: join(suiteDir, bin) };
}

async function isNodeMajor(node: string, major: number): Promise<boolean> {
  if (!existsSync(node)) return false;
  const { stdout } = await run(node, ['--version']).catch(() => ({ stdout: '' }));
  return stdout.trim().startsWith(`v${major}.`);
}

function installedVersion(packageDir: string): string | undefined {
  const manifest = join(packageDir, 'package.json');
  if (!existsSync(manifest)) return undefined;
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version?: string }).version;
}

/** `npm install --prefix <dir> <spec>`: its own package.json and lockfile under .tools/, never the project's. */
async function npmInstall(prefix: string, spec: string): Promise<void> {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  await run(npm, ['install', '--prefix', prefix, '--no-audit', '--no-fund', '--save-exact', spec], { cwd: REPO_ROOT, timeout: 300_000, maxBuffer: 16 * 1024 * 1024 });
}
