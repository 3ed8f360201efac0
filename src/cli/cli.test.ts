import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { SCOPES } from '../core/scopes.js';
import { readMigrations } from '../storage/migrate.js';
import { VERSION } from '../version.js';
import { REPO_ROOT, cairnEnv, freePort, runCairn, startCairn, type RunningCairn } from '../testing/cairn-process.js';

// Every test runs the real `cairn` command as a child process against SQLite files in temporary
// directories; see src/testing/cairn-process.ts for why the sources run through tsx rather than dist/.
const SLOW = { timeout: 90_000 };
// Derived from migrations/, so adding a migration does not break these tests.
const MIGRATIONS = readMigrations('sqlite').map((m) => `${String(m.version).padStart(4, '0')}_${m.name}.sql`);
const N = MIGRATIONS.length;
const STACK_FRAME = /\n\s+at /;

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'cairn-cli-'));
}

/** One instance shared by the key tests: a data dir, an admin user, and `cairn serve` running on it. */
let dir: string;
let env: NodeJS.ProcessEnv;
let server: RunningCairn;
const cairn = (...args: string[]) => runCairn(args, { cwd: dir, env });

interface CreatedKey {
  key: string;
  id: string;
  prefix: string;
  status: string;
  clients: { mcpUrl: string; claudeCode: string; claudeDesktop: any; cursor: any; curl: string };
}

async function createKey(name: string, ...extra: string[]): Promise<CreatedKey> {
  const r = await cairn('key', 'create', '--user', 'ana@example.com', '--name', name, '--scopes', 'memories:read,memories:write', '--json', ...extra);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as CreatedKey;
}

function me(key: string): Promise<Response> {
  return fetch(`${server.url}/api/v1/me`, { headers: { authorization: `Bearer ${key}` } });
}

beforeAll(async () => {
  dir = tempDir();
  const port = await freePort();
  // A zero cache TTL makes a revocation by the CLI (another process) visible to the server at once.
  env = cairnEnv({ CAIRN_PORT: String(port), CAIRN_AUTH_CACHE_TTL_SECONDS: '0', CAIRN_LOG_LEVEL: 'warn' });
  const created = await cairn('user', 'create', '--email', 'ana@example.com', '--name', 'Ana', '--admin');
  if (created.code !== 0) throw new Error(`setup failed: ${created.stderr}`);
  server = await startCairn({ cwd: dir, env, port, args: ['serve'], entry: join(REPO_ROOT, 'src/cli/main.ts') });
}, 90_000);

afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('cairn user', () => {
  test('the first user create on a fresh data directory creates the secret, the schema and a personal workspace', SLOW, async () => {
    const fresh = tempDir();
    try {
      const r = await runCairn(['user', 'create', '--email', 'Bo@Example.com', '--name', 'Bo'], { cwd: fresh, env: cairnEnv() });
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/Created user bo@example\.com \(usr_\w+\)/);
      expect(r.stdout).toMatch(/Personal workspace: Bo's memory \(ws_\w+\)/);
      // Notes go to stderr so that stdout stays the command's result.
      expect(r.stderr).toContain(`Generated the server secret in ${join(fresh, 'data', 'secret')}`);
      expect(r.stderr).toContain(`applied ${MIGRATIONS.join(', ')}`);
      expect(existsSync(join(fresh, 'data', 'cairn.db'))).toBe(true);
    } finally {
      rmSync(fresh, { recursive: true, force: true });
    }
  });

  test('user list shows every user, as a table or as JSON', SLOW, async () => {
    await cairn('user', 'create', '--email', 'carol@example.com');
    const [table, json] = await Promise.all([cairn('user', 'list'), cairn('user', 'list', '--json')]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^ID\s+EMAIL\s+NAME\s+ADMIN/);
    expect(table.stdout).toMatch(/ana@example\.com\s+Ana\s+yes/);
    expect(table.stdout).toMatch(/carol@example\.com\s+no/);
    const users = JSON.parse(json.stdout) as { email: string; admin: boolean; id: string }[];
    expect(users.map((u) => [u.email, u.admin])).toEqual(expect.arrayContaining([['ana@example.com', true], ['carol@example.com', false]]));
    expect(users.every((u) => u.id.startsWith('usr_'))).toBe(true);
  });

  test('a duplicate email (in any letter case) is a one-line error with exit 1, not a stack trace', SLOW, async () => {
    const r = await cairn('user', 'create', '--email', 'ANA@example.com');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim()).toBe('A user with the email ana@example.com already exists.');
  });

  test('an invalid email is refused with exit 1; a missing --email is a usage error with exit 2', SLOW, async () => {
    const [invalid, missing] = await Promise.all([cairn('user', 'create', '--email', 'not-an-email'), cairn('user', 'create')]);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain('"not-an-email" is not an email address.');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("required option '--email <email>' not specified");
  });
});

describe('cairn key create', () => {
  test('prints the key once, clearly marked, followed by client configs carrying the MCP URL and the key', SLOW, async () => {
    const r = await cairn('key', 'create', '--user', 'ana@example.com', '--name', 'laptop-claude', '--scopes', 'memories:read,memories:write');
    expect(r.code).toBe(0);
    const key = /shown only this once.*\n\n {4}(cairn_sk_[0-9A-Za-z]+)\n/.exec(r.stdout)?.[1];
    expect(key).toBeDefined();
    const mcpUrl = `${server.url}/mcp`;
    expect(r.stdout).toContain(`claude mcp add --transport http cairn ${mcpUrl} --header "Authorization: Bearer ${key}"`);
    expect(r.stdout).toContain('claude_desktop_config.json');
    expect(r.stdout).toContain('"Authorization:${CAIRN_AUTH}"');
    expect(r.stdout).toContain(`"CAIRN_AUTH": "Bearer ${key}"`);
    expect(r.stdout).toContain('~/.cursor/mcp.json');
    expect(r.stdout).toContain(`curl -H "Authorization: Bearer ${key}" ${server.url}/api/v1/me`);

    const res = await me(key!);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { user: { email: string }; scopes: string[] };
    expect(body.user.email).toBe('ana@example.com');
    expect(body.scopes).toEqual(['memories:read', 'memories:write']);
  });

  test('--json gives the key and client configs as data that work when pasted', SLOW, async () => {
    const created = await createKey('json-client');
    const mcpUrl = `${server.url}/mcp`;
    expect(created.key).toMatch(/^cairn_sk_[0-9A-Za-z]{36}$/);
    expect(created.status).toBe('active');
    expect(created.clients.mcpUrl).toBe(mcpUrl);
    expect(created.clients.claudeDesktop).toEqual({
      mcpServers: { cairn: { command: 'npx', args: ['mcp-remote', mcpUrl, '--header', 'Authorization:${CAIRN_AUTH}'], env: { CAIRN_AUTH: `Bearer ${created.key}` } } },
    });
    expect(created.clients.cursor).toEqual({ mcpServers: { cairn: { url: mcpUrl, headers: { Authorization: `Bearer ${created.key}` } } } });

    // Use the Cursor config exactly as a client would: its URL and its headers, on the MCP endpoint.
    const { url, headers } = created.clients.cursor.mcpServers.cairn as { url: string; headers: Record<string, string> };
    const res = await fetch(url, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'cli-test', version: '1' } } }),
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('"serverInfo"');
  });

  test('an unknown scope is a usage error listing the valid scopes, and creates nothing', SLOW, async () => {
    const r = await cairn('key', 'create', '--user', 'ana@example.com', '--name', 'typo', '--scopes', 'memories:read,memories:reed');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('Unknown scope "memories:reed"');
    for (const scope of SCOPES) expect(r.stderr).toContain(scope);
    const list = await cairn('key', 'list', '--user', 'ana@example.com', '--json');
    expect((JSON.parse(list.stdout) as { name: string }[]).map((k) => k.name)).not.toContain('typo');
  });

  test('--expires-in sets the expiry; a malformed duration is a usage error', SLOW, async () => {
    const before = Date.now();
    const created = await createKey('short-lived', '--expires-in', '12h');
    const expiresAt = Date.parse((created as unknown as { expiresAt: string }).expiresAt);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 12 * 3600_000 - 1000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 12 * 3600_000);
    const bad = await cairn('key', 'create', '--user', 'ana@example.com', '--name', 'x', '--scopes', 'admin', '--expires-in', '30');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('"30" is not a duration');
  });

  test('a key for an unknown user is a clear error with exit 1', SLOW, async () => {
    const r = await cairn('key', 'create', '--user', 'nobody@example.com', '--name', 'x', '--scopes', 'admin');
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('There is no user with the email nobody@example.com. List users with: npx cairn user list');
  });
});

describe('cairn key list, revoke and rotate', () => {
  test('key list shows id, name and prefix but never the key itself', SLOW, async () => {
    const created = await createKey('listed');
    const [table, json] = await Promise.all([cairn('key', 'list', '--user', 'ana@example.com'), cairn('key', 'list', '--user', 'ana@example.com', '--json')]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(new RegExp(`${created.id}\\s+listed\\s+${created.prefix}…`));
    expect(table.stdout).not.toContain(created.key);
    expect(json.stdout).toContain(created.id);
    expect(json.stdout).not.toContain(created.key);
    expect(json.stdout).not.toContain('"key"');
  });

  test('revoke stops the key working on the running server and shows it as revoked', SLOW, async () => {
    const created = await createKey('to-revoke');
    expect((await me(created.key)).status).toBe(200);
    const r = await cairn('key', 'revoke', '--user', 'ana@example.com', created.id);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Revoked ${created.id} ("to-revoke")`);
    expect((await me(created.key)).status).toBe(401);
    const list = JSON.parse((await cairn('key', 'list', '--user', 'ana@example.com', '--json')).stdout) as { id: string; status: string }[];
    expect(list.find((k) => k.id === created.id)?.status).toBe('revoked');
  });

  test('revoking a key id the user does not have is a clear error with exit 1', SLOW, async () => {
    const r = await cairn('key', 'revoke', '--user', 'ana@example.com', 'key_doesnotexist');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ana@example.com has no API key key_doesnotexist');
    expect(r.stderr).not.toMatch(STACK_FRAME);
  });

  test('rotate with a grace period prints a new working key and keeps the old one working until then', SLOW, async () => {
    const created = await createKey('to-rotate');
    const r = await cairn('key', 'rotate', '--user', 'ana@example.com', created.id, '--grace', '1h');
    expect(r.code).toBe(0);
    const fresh = /\n {4}(cairn_sk_[0-9A-Za-z]+)\n/.exec(r.stdout)?.[1];
    expect(fresh).toBeDefined();
    expect(fresh).not.toBe(created.key);
    expect(r.stdout).toMatch(new RegExp(`The old key ${created.id} keeps working until \\d{4}-\\d\\d-\\d\\dT`));
    expect(r.stdout).toContain(`--header "Authorization: Bearer ${fresh}"`);
    expect((await me(fresh!)).status).toBe(200);
    expect((await me(created.key)).status).toBe(200);
  });

  test('rotate without a grace period retires the old key at once; --json carries the new key', SLOW, async () => {
    const created = await createKey('rotate-now');
    const r = await cairn('key', 'rotate', '--user', 'ana@example.com', created.id, '--json');
    expect(r.code).toBe(0);
    const rotated = JSON.parse(r.stdout) as { key: string; id: string; old: { id: string; rotatedTo: string } };
    expect(rotated.old).toMatchObject({ id: created.id, rotatedTo: rotated.id });
    expect((await me(rotated.key)).status).toBe(200);
    expect((await me(created.key)).status).toBe(401);
  });
});

describe('cairn doctor', () => {
  test('on a healthy setup prints every setting with its source, never the secret, and exits 0', SLOW, async () => {
    const r = await cairn('doctor');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/CAIRN_PORT\s+\d+\s+env/);
    expect(r.stdout).toMatch(/CAIRN_HOST\s+127\.0\.0\.1\s+default/);
    expect(r.stdout).toMatch(/CAIRN_SECRET\s+\[redacted\].*generated/);
    for (const name of ['CAIRN_DATABASE_URL', 'CAIRN_DATA_DIR', 'CAIRN_FLUSH_INTERVAL_MS', 'CAIRN_SHUTDOWN_TIMEOUT_MS']) expect(r.stdout).toContain(name);
    expect(r.stdout).toMatch(new RegExp(`ok\\s+migrations: ${N} applied, 0 pending`));
    expect(r.stdout).toMatch(/ok\s+data directory: .* is writable/);
    expect(r.stdout).toContain('Verdict: healthy');
    const secret = readFileSync(join(dir, 'data', 'secret'), 'utf8').trim();
    expect(r.stdout + r.stderr).not.toContain(secret);
  });

  test('with an unreachable PostgreSQL URL it redacts the password and the secret, names the failure and exits 1', SLOW, async () => {
    const secret = 'doctor-test-secret-'.padEnd(48, 'x');
    const r = await runCairn(['doctor'], { cwd: dir, env: cairnEnv({ CAIRN_DATABASE_URL: 'postgres://nobody:pw@127.0.0.1:1/x', CAIRN_SECRET: secret }) });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/CAIRN_DATABASE_URL\s+postgres:\/\/nobody:\*+@127\.0\.0\.1:1\/x\s+env/);
    expect(r.stdout).toMatch(/CAIRN_SECRET\s+\[redacted\]\s+env/);
    expect(r.stdout).toMatch(/FAIL\s+database: cannot connect to PostgreSQL postgres:\/\/nobody:\*+@127\.0\.0\.1:1\/x\. The database is unreachable: .*ECONNREFUSED/);
    expect(r.stdout).toContain('Verdict: 1 problem found');
    expect(r.stdout + r.stderr).not.toContain(':pw@');
    expect(r.stdout + r.stderr).not.toContain(secret);
  });

  test('with an unusable data directory it fails that check and exits 1', SLOW, async () => {
    const base = tempDir();
    try {
      writeFileSync(join(base, 'a-file'), '');
      const r = await runCairn(['doctor'], { cwd: base, env: cairnEnv({ CAIRN_DATA_DIR: './a-file/data' }) });
      expect(r.code).toBe(1);
      expect(r.stdout).toContain(`FAIL  data directory: ${join(base, 'a-file', 'data')} cannot be created: ${join(base, 'a-file')} is a file`);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });

  test('on a fresh directory reports what the first start will create, and creates nothing itself', SLOW, async () => {
    const fresh = tempDir();
    try {
      const r = await runCairn(['doctor'], { cwd: fresh, env: cairnEnv() });
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('does not exist yet; it is created on first start');
      expect(r.stdout).toContain(`migrations: 0 applied, ${N} pending (${MIGRATIONS.join(', ')}); applied automatically at start`);
      expect(readdirSync(fresh)).toEqual([]);
    } finally {
      rmSync(fresh, { recursive: true, force: true });
    }
  });
});

describe('configuration errors', () => {
  test('every command lists every problem at once, with exit 1 and a "did you mean"', SLOW, async () => {
    const bad = cairnEnv({ CAIRN_PROT: '1', CAIRN_PORT: 'abc' });
    const [list, doctor] = await Promise.all([runCairn(['user', 'list'], { cwd: dir, env: bad }), runCairn(['doctor'], { cwd: dir, env: bad })]);
    expect(list.code).toBe(1);
    expect(list.stderr).toContain('2 configuration problems');
    expect(list.stderr).toContain('CAIRN_PROT: unknown setting; did you mean CAIRN_PORT?');
    expect(list.stderr).toMatch(/CAIRN_PORT: .*whole number/);
    expect(list.stderr).not.toMatch(STACK_FRAME);
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toContain('CAIRN_PROT: unknown setting; did you mean CAIRN_PORT?');
    expect(doctor.stdout).toMatch(/CAIRN_PORT: .*whole number/);
  });
});

describe('cairn migrate', () => {
  test('applies the migrations to a fresh database, then reports it up to date', SLOW, async () => {
    const fresh = tempDir();
    try {
      const first = await runCairn(['migrate'], { cwd: fresh, env: cairnEnv() });
      expect(first.code).toBe(0);
      expect(first.stdout).toContain(`Applied ${N} migration${N === 1 ? '' : 's'} to SQLite ${join(fresh, 'data', 'cairn.db')}:\n${MIGRATIONS.map((f) => `  ${f}\n`).join('')}`);
      const again = await runCairn(['migrate', '--json'], { cwd: fresh, env: cairnEnv() });
      expect(JSON.parse(again.stdout)).toEqual({ applied: [], version: N });
    } finally {
      rmSync(fresh, { recursive: true, force: true });
    }
  });

  test('with CAIRN_MIGRATE_ON_START off, other commands refuse an unmigrated database and say how to fix it', SLOW, async () => {
    const fresh = tempDir();
    try {
      const r = await runCairn(['user', 'list'], { cwd: fresh, env: cairnEnv({ CAIRN_MIGRATE_ON_START: 'false' }) });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`pending: ${MIGRATIONS.join(', ')}`);
      expect(r.stderr).toContain('npx cairn migrate');
    } finally {
      rmSync(fresh, { recursive: true, force: true });
    }
  });
});

describe('the command line itself', () => {
  test('--version prints the version; no command or an unknown one is a usage error (exit 2)', SLOW, async () => {
    const [version, none, unknown] = await Promise.all([cairn('--version'), cairn(), cairn('usr', 'list')]);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toBe(VERSION);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('Usage: cairn');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'usr'");
    expect(unknown.stderr).toContain('Did you mean user?');
  });

  test('bin/cairn.js without a build says to run npm run build and exits 1', SLOW, async () => {
    // A copy of the package with bin/ but no dist/, as in a fresh clone before `npm ci` has built it.
    const unbuilt = tempDir();
    try {
      mkdirSync(join(unbuilt, 'bin'));
      copyFileSync(join(REPO_ROOT, 'package.json'), join(unbuilt, 'package.json'));
      copyFileSync(join(REPO_ROOT, 'bin', 'cairn.js'), join(unbuilt, 'bin', 'cairn.js'));
      const r = await runCairn(['user', 'list'], { cwd: unbuilt, env: cairnEnv(), entry: join(unbuilt, 'bin', 'cairn.js'), typescript: false });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('Cairn is not built yet');
      expect(r.stderr).toContain('npm run build');
      expect(r.stderr).not.toMatch(STACK_FRAME);
    } finally {
      rmSync(unbuilt, { recursive: true, force: true });
    }
  });
});
