import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Principal } from '../../core/principal.js';
import { createLogger } from '../../logging.js';
import { openRuntime } from '../../runtime.js';
import { TEST_SECRET } from '../../testing/build-test-app.js';
import { runCli } from '../main.js';

// `cairn export` and `cairn import`, run in-process against SQLite files in temporary data directories.

let dirs: string[] = [];
beforeEach(() => {
  dirs = [];
});
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function dataDir(): NodeJS.ProcessEnv {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-transfer-'));
  dirs.push(dir);
  return { CAIRN_DATA_DIR: dir, CAIRN_SECRET: TEST_SECRET, CAIRN_LOG_LEVEL: 'silent' };
}

/** A user with `n` memories written through an API key; returns the workspace id. */
async function seed(env: NodeJS.ProcessEnv, email: string, n: number): Promise<string> {
  const runtime = await openRuntime({ env, migrate: 'always', logger: createLogger('silent') });
  try {
    const owner = await runtime.services.users.create({ email });
    const { key } = await runtime.services.apiKeys.create({ userId: owner.user.id, workspaceId: owner.workspace.id }, { name: 'seed', scopes: ['memories:write'], expiresAt: null }, { kind: 'cli', credentialId: null });
    const principal = ((await runtime.services.verifier.verify(key)) as { principal: Principal }).principal;
    for (let i = 0; i < n; i += 100) {
      await runtime.services.memories.addMany(principal, Array.from({ length: Math.min(100, n - i) }, (_, j) => ({ content: `${email} memory number ${i + j}`, metadata: { i: i + j } })));
    }
    return owner.workspace.id;
  } finally {
    await runtime.close();
  }
}

async function cairn(env: NodeJS.ProcessEnv, args: string[], isTTY = false) {
  let out = '';
  let err = '';
  const code = await runCli(args, { env, isTTY, out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

describe('cairn export / cairn import', () => {
  it('moves a workspace to another server with progress and a summary; re-import changes nothing', async () => {
    const from = dataDir();
    // More than two export pages (500 each), with many memories sharing a createdAt across page boundaries.
    const ws = await seed(from, 'ana@example.com', 1200);
    const file = join(dirs[0]!, 'export.jsonl');
    const exported = await cairn(from, ['export', '--workspace', ws, '--out', file]);
    expect(exported.err).toContain('Exported 1200 memories with 1200 versions');
    expect(exported.code).toBe(0);
    // Plain progress lines off a terminal, about one per tenth.
    expect(exported.err).toMatch(/^export: \d+\/1200 \(\d+%\)$/m);
    const text = readFileSync(file, 'utf8');
    expect(text.split('\n')[0]).toBe('{"type":"cairn-export","version":1}');

    const to = dataDir();
    const target = await seed(to, 'ana@example.com', 0);
    const imported = await cairn(to, ['import', '--workspace', target, file], true);
    expect(imported.code, imported.err).toBe(0);
    expect(imported.out).toContain('1200 created, 0 unchanged, 0 duplicates, 0 reattributed');
    // A bar redrawn in place on a terminal.
    expect(imported.err).toContain('\r[');
    expect(imported.err).toContain('100% 1200/1200');

    const again = await cairn(to, ['import', '--workspace', target, file, '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.out)).toMatchObject({ created: 0, unchanged: 1200 });

    // The same memories, apps and history: only the CLI app the export and import ran as differs.
    const back = await cairn(to, ['export', '--workspace', target]);
    const strip = (s: string) => s.split('\n').filter((l) => !l.startsWith('{"type":"app"'));
    expect(strip(back.out)).toEqual(strip(text));
  });

  it('waits for a slow standard output instead of buffering the export in memory', async () => {
    const env = dataDir();
    const ws = await seed(env, 'ana@example.com', 600);
    // A consumer slower than the database (a pipe into gzip or ssh): one small write at a time.
    let received = '';
    let mostBuffered = 0;
    const slow = new Writable({
      highWaterMark: 256,
      write(chunk: Buffer, _encoding, done) {
        received += chunk.toString();
        setImmediate(done);
      },
    });
    const rawWrite = slow.write.bind(slow);
    const write = (text: string) => {
      const ok = rawWrite(text);
      mostBuffered = Math.max(mostBuffered, slow.writableLength);
      return ok;
    };
    const sink = Object.assign(slow, { write }) as unknown as NodeJS.WritableStream;
    let err = '';
    const code = await runCli(['export', '--workspace', ws], { env, out: write, stdout: sink, err: (t) => (err += t) });
    expect(code, err).toBe(0);
    await new Promise<void>((resolve) => slow.end(resolve));
    expect(received.split('\n').filter((l) => l.startsWith('{"type":"memory"'))).toHaveLength(600);
    // Never more than the stream's mark and one line waiting: the export paused whenever it was full.
    expect(mostBuffered).toBeLessThan(256 + 1024);
  });

  it('exits non-zero with a line-numbered report on a bad file and imports nothing; --skip-bad-lines imports the rest', async () => {
    const env = dataDir();
    const ws = await seed(env, 'ana@example.com', 0);
    const file = join(dirs[0]!, 'graph.jsonl');
    writeFileSync(file, ['{"type":"entity","name":"Ana","entityType":"person","observations":["Likes tea"]}', '{"type":"relation","from":"Ana"}', '{"type":"relation","from":"Ana","to":"Bo","relationType":"knows"}'].join('\n'));
    const bad = await cairn(env, ['import', '--workspace', ws, file]);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('Nothing was imported');
    expect(bad.err).toContain(`${file}:2: invalid to: must be a non-empty string`);
    const none = await cairn(env, ['export', '--workspace', ws]);
    expect(none.out).not.toContain('"type":"memory"');

    const skipped = await cairn(env, ['import', '--workspace', ws, file, '--skip-bad-lines']);
    expect(skipped.code).toBe(0);
    expect(skipped.out).toContain('(server-memory)');
    expect(skipped.out).toContain('2 created');
    expect(skipped.err).toContain(`Skipped 1 bad line:\n  ${file}:2:`);
  });

  it('refuses an unknown workspace and a non-member', async () => {
    const env = dataDir();
    const ws = await seed(env, 'ana@example.com', 1);
    await seed(env, 'bo@example.com', 0);
    const unknown = await cairn(env, ['export', '--workspace', 'ws_nope']);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('There is no workspace ws_nope');
    const outsider = await cairn(env, ['export', '--workspace', ws, '--as', 'bo@example.com']);
    expect(outsider.code).toBe(1);
    expect(outsider.err).toContain('bo@example.com is not a member of a workspace');
    expect(outsider.out).toBe('');
  });
});
