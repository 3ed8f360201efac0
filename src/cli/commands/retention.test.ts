import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock.js';
import type { Principal } from '../../core/principal.js';
import { DAY_MS } from '../../core/retention/retention.js';
import { createLogger } from '../../logging.js';
import { openRuntime } from '../../runtime.js';
import { TEST_SECRET } from '../../testing/build-test-app.js';
import { runCli } from '../main.js';

let dir: string;
let env: NodeJS.ProcessEnv;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cairn-retention-cli-'));
  env = { CAIRN_DATA_DIR: dir, CAIRN_SECRET: TEST_SECRET, CAIRN_LOG_LEVEL: 'silent', CAIRN_DELETED_RETENTION_DAYS: '7', CAIRN_AUDIT_RETENTION_DAYS: '30' };
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function cairn(...args: string[]) {
  let out = '';
  let err = '';
  const code = await runCli(args, { env, out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

/**
 * Two people, written at `at` (long before the real clock the CLI runs on): each a memory deleted then, one
 * deleted now, and one live. Returns the workspaces and memory ids.
 */
async function seed(at: number) {
  const clock = new ManualClock(at);
  const runtime = await openRuntime({ env, migrate: 'always', logger: createLogger('silent'), clock });
  try {
    const out: Record<string, { workspace: string; old: string; recent: string; live: string }> = {};
    for (const email of ['ada@example.com', 'bob@example.com']) {
      const owner = await runtime.services.users.create({ email });
      const { key } = await runtime.services.apiKeys.create({ userId: owner.user.id, workspaceId: owner.workspace.id }, { name: 'seed', scopes: ['memories:write', 'memories:delete'], expiresAt: null }, { kind: 'cli', credentialId: null });
      const principal = ((await runtime.services.verifier.verify(key)) as { principal: Principal }).principal;
      const [old, recent, live] = await runtime.services.memories.addMany(principal, [{ content: `${email} old` }, { content: `${email} recent` }, { content: `${email} live` }]);
      await runtime.services.memories.delete(principal, old!.memory.id);
      clock.set(Date.now());
      await runtime.services.memories.delete(principal, recent!.memory.id);
      clock.set(at + 1);
      out[email] = { workspace: owner.workspace.id, old: old!.memory.id, recent: recent!.memory.id, live: live!.memory.id };
    }
    return out;
  } finally {
    await runtime.close();
  }
}

async function memoryIds(): Promise<string[]> {
  const runtime = await openRuntime({ env, migrate: 'never', logger: createLogger('silent') });
  try {
    return (await runtime.storage.db.selectFrom('memories').select('id').orderBy('id').execute()).map((r) => r.id);
  } finally {
    await runtime.close();
  }
}

describe('cairn retention run', () => {
  it('runs one sweep: purges the memories deleted more than 7 days ago and audit events older than 30 days, and says how many', async () => {
    const seeded = await seed(Date.now() - 60 * DAY_MS);
    const all = Object.values(seeded);
    const first = await cairn('retention', 'run');
    expect(first.err).toBe('');
    expect(first.code).toBe(0);
    // Per person: user.create, key.create, three memory.create and the old memory.delete happened 60 days ago.
    expect(first.out).toBe('Purged 2 deleted memories (deleted more than 7 days ago) and 12 audit events (older than 30 days).\n');
    expect(await memoryIds()).toEqual(all.flatMap((s) => [s.recent, s.live]).sort());

    const again = await cairn('retention', 'run', '--json');
    expect(again.code).toBe(0);
    expect(JSON.parse(again.out)).toMatchObject({ memories: 0, auditEvents: 0, memoriesDeletedBefore: expect.stringMatching(/Z$/), auditBefore: expect.stringMatching(/Z$/) });

    // The sweep that purged something left one retention.purge event, by the CLI, in the full export.
    const exported = await cairn('audit', 'export');
    const lines = exported.out.trim().split('\n').map((l) => JSON.parse(l) as { action: string; workspaceId: string | null; credential: { kind: string } | null; detail: unknown });
    const purges = lines.filter((l) => l.action === 'retention.purge');
    expect(purges).toEqual([expect.objectContaining({ workspaceId: null, credential: { kind: 'cli', id: null }, detail: { memories: 2, auditEvents: 12, deletedRetentionDays: 7, auditRetentionDays: 30 } })]);
    expect(exported.err).toBe(`Exported ${lines.length} audit events.\n`);
  });
});

describe('cairn audit export', () => {
  it('writes one workspace’s events as NDJSON to a file, oldest first, within --since/--until', async () => {
    const seeded = await seed(Date.UTC(2026, 0, 10, 12));
    const ada = seeded['ada@example.com']!;
    const file = join(dir, 'ada.ndjson');
    const r = await cairn('audit', 'export', '--workspace', ada.workspace, '--out', file);
    expect(r.code).toBe(0);
    expect(r.out).toBe('');
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { at: string; action: string; workspaceId: string; target: string | null });
    expect(r.err).toBe(`Exported ${lines.length} audit events to ${file}.\n`);
    expect(lines.every((l) => l.workspaceId === ada.workspace)).toBe(true);
    expect(lines.map((l) => l.action)).toEqual(['user.create', 'key.create', 'memory.create', 'memory.create', 'memory.create', 'memory.delete', 'memory.delete']);
    expect(lines.at(-1)!.target).toBe(ada.recent);
    const times = lines.map((l) => Date.parse(l.at));
    expect(times).toEqual([...times].sort((a, b) => a - b));

    const window = await cairn('audit', 'export', '--workspace', ada.workspace, '--since', '2026-01-10', '--until', '2026-01-11');
    expect(window.out.trim().split('\n').map((l) => (JSON.parse(l) as { action: string }).action)).toEqual(['user.create', 'key.create', 'memory.create', 'memory.create', 'memory.create', 'memory.delete']);
    const none = await cairn('audit', 'export', '--workspace', ada.workspace, '--until', '2026-01-10T12:00');
    expect(none.out).toBe('');
    expect(none.err).toBe('Exported 0 audit events.\n');
  });

  it('refuses a bad date, an empty window and an unknown workspace, with a clear message', async () => {
    await seed(Date.UTC(2026, 0, 10));
    const bad = await cairn('audit', 'export', '--since', 'last week');
    expect(bad.code).not.toBe(0);
    expect(bad.err).toContain('--since must be an ISO 8601 date or time');
    const backwards = await cairn('audit', 'export', '--since', '2026-02-01', '--until', '2026-01-01');
    expect(backwards.code).not.toBe(0);
    expect(backwards.err).toContain('--until must be later than --since');
    const unknown = await cairn('audit', 'export', '--workspace', 'ws_nope');
    expect(unknown.code).not.toBe(0);
    expect(unknown.err).toContain('There is no workspace ws_nope');
  });
});
