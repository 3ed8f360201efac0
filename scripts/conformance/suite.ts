import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConformanceTools } from './tools.js';

/** One check as the suite writes it to `<output dir>/<run>/checks.json`. */
export interface Check {
  readonly id: string;
  readonly status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'SKIPPED' | 'INFO' | string;
  readonly description?: string;
  readonly errorMessage?: string;
}

export interface SuiteRun {
  /** The suite's own verdict: 0 when every failure is in the expected-failures baseline and none is stale. */
  readonly exitCode: number | null;
  readonly checks: readonly Check[];
  readonly stdout: string;
  readonly seconds: number;
}

export interface SuiteOptions {
  /** Where each run's checks.json goes (a fresh folder per run is made inside it). */
  readonly outputRoot: string;
  /** Prefix for the suite's output lines in the log. */
  readonly label: string;
  /** Called with each complete stdout line as it arrives (the authorization mode reads its authorize URL here). */
  readonly onLine?: (line: string) => void;
  /** Kill the suite after this long (the suite has its own per-scenario timeout; this is the backstop). */
  readonly timeoutMs?: number;
  /** Kill the suite when this fires (the authorization mode's browser failed: no callback will come). */
  readonly signal?: AbortSignal;
}

/**
 * Runs `conformance <args>` on Node 22, streaming its output into this log, and collects every check it
 * recorded. A run that recorded no check at all is reported as such by the caller: a scenario that silently
 * did nothing must not look like a pass.
 */
// eslint-disable-next-line no-control-regex
const ANSI_ESCAPE = /\u001b\[[0-9;]*m/g;

export async function runSuite(tools: ConformanceTools, args: readonly string[], options: SuiteOptions): Promise<SuiteRun> {
  const outputDir = mkdtempSync(join(options.outputRoot, 'run-'));
  const started = Date.now();
  const child = spawn(tools.node, [tools.entry, ...args, '--output-dir', outputDir], {
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let pending = '';
  const emit = (raw: string) => {
    // The suite colours its output whatever NO_COLOR says; a CI log wants plain text.
    const line = raw.replace(ANSI_ESCAPE, '');
    process.stdout.write(`[${options.label}] ${line}\n`);
    options.onLine?.(line);
  };
  child.stdout.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    stdout += text;
    pending += text;
    let newline: number;
    while ((newline = pending.indexOf('\n')) >= 0) {
      emit(pending.slice(0, newline));
      pending = pending.slice(newline + 1);
    }
  });
  child.stderr.on('data', (chunk: Buffer) => process.stderr.write(`[${options.label}] ${chunk.toString().replace(ANSI_ESCAPE, '')}`));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 10 * 60_000);
  const stop = () => child.kill('SIGTERM');
  options.signal?.addEventListener('abort', stop, { once: true });
  const exitCode = await new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  clearTimeout(timer);
  options.signal?.removeEventListener('abort', stop);
  if (pending) emit(pending);
  return { exitCode, checks: readChecks(outputDir), stdout, seconds: (Date.now() - started) / 1000 };
}

function readChecks(outputDir: string): Check[] {
  const checks: Check[] = [];
  if (!existsSync(outputDir)) return checks;
  for (const run of readdirSync(outputDir)) {
    const file = join(outputDir, run, 'checks.json');
    if (existsSync(file)) checks.push(...(JSON.parse(readFileSync(file, 'utf8')) as Check[]));
  }
  return checks;
}

/**
 * How many checks ended in each status. A FAILURE whose `scenario:check-id` is in `expected` counts as an
 * "expected failure", so a summary line never shows a reviewed fixture gap as an unexplained failure.
 */
export function countByStatus(checks: readonly Check[], scenario?: string, expected: ReadonlySet<string> = new Set()): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const check of checks) {
    const status = check.status === 'FAILURE' && expected.has(`${scenario}:${check.id}`) ? 'expected failure' : check.status.toLowerCase();
    counts[status] = (counts[status] ?? 0) + 1;
  }
  return counts;
}

/** The `- scenario:check-id` entries of an expected-failures file (comments and the `server:` key skipped). */
export function readExpectedFailures(file: string): Set<string> {
  const entries = new Set<string>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const match = /^\s*-\s*([\w/.-]+:[\w/.-]+)\s*(#.*)?$/.exec(line);
    if (match) entries.add(match[1]!);
  }
  return entries;
}
