import { cpSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, test } from 'vitest';
import { REPO_ROOT, SERVER_ENTRY, cairnEnv, freePort, runCairn, startCairn, type RunningCairn } from './testing/cairn-process.js';

// The server as a real process (`node --import tsx src/main.ts`, the code `npm start` runs from dist/),
// on a free port, with its data in a temporary directory.
const SLOW = { timeout: 90_000 };
const STACK_FRAME = /\n\s+at /;

const dirs: string[] = [];
const servers: RunningCairn[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-main-'));
  dirs.push(dir);
  return dir;
}
async function start(dir: string, settings: Record<string, string> = {}): Promise<{ server: RunningCairn; env: NodeJS.ProcessEnv }> {
  const port = await freePort();
  const env = cairnEnv({ CAIRN_PORT: String(port), ...settings });
  const server = await startCairn({ cwd: dir, env, port });
  servers.push(server);
  return { server, env };
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop('SIGKILL')));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function createKey(dir: string, env: NodeJS.ProcessEnv): Promise<{ key: string; id: string }> {
  const user = await runCairn(['user', 'create', '--email', 'ana@example.com'], { cwd: dir, env });
  expect(user.code).toBe(0);
  const created = await runCairn(['key', 'create', '--user', 'ana@example.com', '--name', 'test', '--scopes', 'memories:read,memories:write', '--json'], { cwd: dir, env });
  expect(created.code).toBe(0);
  return JSON.parse(created.stdout) as { key: string; id: string };
}

describe('server process: start-up', () => {
  test('a first start on a fresh directory becomes ready and writes the secret with mode 0600', SLOW, async () => {
    const dir = tempDir();
    const { server } = await start(dir);
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
    expect(statSync(join(dir, 'data', 'secret')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'data', 'cairn.db')).isFile()).toBe(true);
    expect(server.stdout()).toContain('Cairn is listening');
    expect(server.stdout()).toContain('npx cairn user create');
  });

  test('logs are JSON lines, and a key sent in a header or even in a URL never reaches them', SLOW, async () => {
    const dir = tempDir();
    const { server, env } = await start(dir);
    const { key } = await createKey(dir, env);
    expect((await fetch(`${server.url}/api/v1/me`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
    expect((await fetch(`${server.url}/api/v1/me`, { headers: { 'x-api-key': key } })).status).toBe(200);
    expect((await fetch(`${server.url}/api/v1/memories?api_key=${key}`)).status).toBe(401);
    // A wrong key: the last character changed (to one it surely is not).
    const wrong = key.slice(0, -1) + (key.endsWith('X') ? 'Y' : 'X');
    expect((await fetch(`${server.url}/api/v1/me`, { headers: { authorization: `Bearer ${wrong}` } })).status).toBe(401);
    await server.stop();

    const lines = server.stdout().trim().split('\n');
    expect(lines.length).toBeGreaterThan(4);
    for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow();
    expect(server.stdout()).toContain('api_key=cairn_sk_[redacted]'); // the URL was logged, with the key masked
    expect(server.stdout()).not.toMatch(/cairn_sk_(?!\[redacted\])/);
    expect(server.stdout()).not.toContain(key.slice('cairn_sk_'.length));
  });
});

describe('server process: graceful shutdown', () => {
  test('SIGTERM lets an in-flight request finish, flushes key usage to the database and exits 0', SLOW, async () => {
    const dir = tempDir();
    // A long flush interval, so only the shutdown flush can have written the usage counters.
    const { server, env } = await start(dir, { CAIRN_FLUSH_INTERVAL_MS: '600000' });
    const { key, id } = await createKey(dir, env);

    // 1. Send the headers and half the body, so the request is in flight when the signal arrives.
    const body = JSON.stringify({ content: 'written while the server was shutting down' });
    const half = Math.floor(body.length / 2);
    const response = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(`${server.url}/api/v1/memories`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      });
      req.on('response', (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on('error', reject);
      req.write(body.slice(0, half));
      // 2. Once the server has logged the request, SIGTERM it; 3. once it is shutting down, finish the body.
      void server
        .waitForOutput('"url":"/api/v1/memories"')
        .then(() => server.child.kill('SIGTERM'))
        .then(() => server.waitForOutput('"msg":"shutting down"'))
        .then(() => req.end(body.slice(half)), reject);
    });

    const res = await response;
    expect(res.status, res.text).toBe(201);
    const exit = await server.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(server.stdout()).toContain('"msg":"stopped"');

    const db = new BetterSqlite3(join(dir, 'data', 'cairn.db'), { readonly: true });
    try {
      const usage = db.prepare('select usage_count, last_used_at from api_keys where id = ?').get(id) as { usage_count: number; last_used_at: number | null };
      expect(usage.usage_count).toBe(1);
      expect(usage.last_used_at).toBeGreaterThan(Date.now() - 60_000);
      const memory = db.prepare('select count(*) as n from memories where content = ?').get('written while the server was shutting down') as { n: number };
      expect(memory.n).toBe(1);
    } finally {
      db.close();
    }
  });
});

describe('server process: refusing to start', () => {
  test('a bad configuration exits 1 listing every problem, with a "did you mean" and no stack trace', SLOW, async () => {
    const dir = tempDir();
    const r = await runCairn([], { cwd: dir, env: cairnEnv({ CAIRN_PROT: '1', CAIRN_PORT: 'abc', CAIRN_LOG_LEVEL: 'loud' }), entry: SERVER_ENTRY });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Cairn cannot start: 3 configuration problems');
    expect(r.stderr).toContain('CAIRN_PROT: unknown setting; did you mean CAIRN_PORT?');
    expect(r.stderr).toMatch(/CAIRN_PORT: .*whole number/);
    expect(r.stderr).toContain('CAIRN_LOG_LEVEL:');
    expect(r.stderr).not.toMatch(STACK_FRAME);
    expect(r.stdout).toBe('');
  });

  test('an unreachable database is named with the driver’s reason, without the password or a stack trace', SLOW, async () => {
    const dir = tempDir();
    const r = await runCairn([], {
      cwd: dir,
      env: cairnEnv({ CAIRN_DATABASE_URL: 'postgres://nobody:pw@127.0.0.1:1/x', CAIRN_SECRET: 'main-test-secret-'.padEnd(48, 'x') }),
      entry: SERVER_ENTRY,
    });
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('Cairn cannot start: The database is unreachable: connect ECONNREFUSED 127.0.0.1:1.');
  });

  test('a data directory that cannot be created is named, without a stack trace', SLOW, async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a-file'), '');
    const r = await runCairn([], { cwd: dir, env: cairnEnv({ CAIRN_DATA_DIR: 'a-file/data' }), entry: SERVER_ENTRY });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`Cairn cannot start: ENOTDIR: not a directory, mkdir '${join(dir, 'a-file', 'data')}'`);
    expect(r.stderr).not.toMatch(STACK_FRAME);
  });

  test('a missing migrations folder is named as an incomplete installation', SLOW, async () => {
    // An installation copy without migrations/: the sources, package.json and a link to node_modules.
    const app = tempDir();
    cpSync(join(REPO_ROOT, 'src'), join(app, 'src'), { recursive: true, filter: (path) => !path.endsWith('.test.ts') });
    cpSync(join(REPO_ROOT, 'package.json'), join(app, 'package.json'));
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(app, 'node_modules'), 'dir');
    const r = await runCairn([], { cwd: app, env: cairnEnv(), entry: join(app, 'src', 'main.ts') });
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`The migrations folder ${join(app, 'migrations', 'sqlite')} is missing; the installation is incomplete (reinstall Cairn).`);
  });

  test('a port already in use is reported and the process exits 1', SLOW, async () => {
    const dir = tempDir();
    const { server, env } = await start(dir);
    const r = await runCairn([], { cwd: dir, env, entry: SERVER_ENTRY });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`Cairn cannot listen on 127.0.0.1:${new URL(server.url).port}`);
    expect(r.stderr).toContain('EADDRINUSE');
  });
});
