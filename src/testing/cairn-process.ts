import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * Runs Cairn as real child processes for the CLI and server tests. They run the TypeScript sources through
 * tsx's loader (`node --import tsx`) rather than dist/: the tests then exercise exactly the code under
 * test, with no build step in beforeAll and no two test files racing to rewrite the shared dist/ folder.
 * `node --import` keeps a single process, so signals reach Cairn itself, not a wrapper.
 */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI_ENTRY = fileURLToPath(new URL('../cli/main.ts', import.meta.url));
export const SERVER_ENTRY = fileURLToPath(new URL('../main.ts', import.meta.url));
/** An absolute URL, because the processes run with a temporary cwd that has no node_modules. */
export const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** The test runner's environment without any CAIRN_* setting, plus `settings`. */
export function cairnEnv(settings: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith('CAIRN_')) env[name] = value;
  return { ...env, ...settings };
}

export interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `cairn <args>` to completion. */
export function runCairn(
  args: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; entry?: string; /** false for plain JavaScript entries such as bin/cairn.js */ typescript?: boolean },
): Promise<Finished> {
  const loader = options.typescript === false ? [] : ['--import', TSX_LOADER];
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...loader, options.entry ?? CLI_ENTRY, ...args],
      { cwd: options.cwd, env: options.env, timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface RunningCairn {
  readonly child: ChildProcess;
  readonly url: string;
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends `signal` (SIGTERM by default) and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once stdout contains `text`. */
  waitForOutput(text: string, timeoutMs?: number): Promise<void>;
}

/**
 * Starts a Cairn server process on `port` and resolves once /readyz answers 200. If the process exits
 * first, rejects with what it printed, so a failing start shows its own reason in the test output.
 */
export async function startCairn(options: { cwd: string; env: NodeJS.ProcessEnv; port: number; args?: readonly string[]; entry?: string }): Promise<RunningCairn> {
  const child = spawn(process.execPath, ['--import', TSX_LOADER, options.entry ?? SERVER_ENTRY, ...(options.args ?? [])], {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let hasExited = false;
  void exited.then(() => (hasExited = true));
  const url = `http://127.0.0.1:${options.port}`;

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (hasExited) throw new Error(`Cairn exited before becoming ready.\nstdout:\n${stdout}\nstderr:\n${stderr}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`Cairn did not become ready within 30 s.\nstdout:\n${stdout}\nstderr:\n${stderr}`);
    }
    const ready = await fetch(`${url}/readyz`).then((r) => r.status === 200, () => false);
    if (ready) break;
    await new Promise((r) => setTimeout(r, 100));
  }

  return {
    child,
    url,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    async stop(signal = 'SIGTERM') {
      if (!hasExited) child.kill(signal);
      return exited;
    },
    async waitForOutput(text, timeoutMs = 10_000) {
      const until = Date.now() + timeoutMs;
      while (!stdout.includes(text)) {
        if (Date.now() > until || hasExited) throw new Error(`"${text}" never appeared in the output:\n${stdout}\n${stderr}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
  };
}
