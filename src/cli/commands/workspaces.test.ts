import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { hashInvitationToken } from '../../core/workspaces/workspace-service.js';
import { openStorage } from '../../storage/db.js';
import { cairnEnv, runCairn } from '../../testing/cairn-process.js';

// `cairn workspace create|list|invite` as a child process on a SQLite file, read back from the database.

const SLOW = { timeout: 90_000 };
let dir: string;
const env = cairnEnv({ CAIRN_LOG_LEVEL: 'warn' });
const cairn = (...args: string[]) => runCairn(args, { cwd: dir, env });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cairn-cli-ws-'));
  for (const email of ['ana@example.com', 'ben@example.com']) {
    const r = await cairn('user', 'create', '--email', email);
    if (r.code !== 0) throw new Error(`setup failed: ${r.stderr}`);
  }
}, 90_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('cairn workspace', () => {
  test('create, list and invite: the link is printed once and only its hash is stored', SLOW, async () => {
    const created = await cairn('workspace', 'create', '--owner', 'ana@example.com', '--name', 'Research', '--json');
    expect(created.code, created.stderr).toBe(0);
    const ws = JSON.parse(created.stdout) as { id: string; name: string; kind: string; owner: string };
    expect(ws).toMatchObject({ name: 'Research', kind: 'shared', owner: 'ana@example.com' });

    const mine = await cairn('workspace', 'list', '--user', 'ana@example.com');
    expect(mine.code).toBe(0);
    expect(mine.stdout).toMatch(new RegExp(`${ws.id}\\s+Research\\s+shared\\s+owner`));
    const all = JSON.parse((await cairn('workspace', 'list', '--json')).stdout) as { id: string; kind: string; members: number }[];
    expect(all.filter((w) => w.kind === 'personal')).toHaveLength(2);
    expect(all.find((w) => w.id === ws.id)).toMatchObject({ kind: 'shared', members: 1 });

    const invited = await cairn('workspace', 'invite', '--workspace', ws.id, '--role', 'viewer', '--email', 'Ben@Example.com');
    expect(invited.code, invited.stderr).toBe(0);
    const token = /\/dashboard\/invite#([0-9A-Za-z]{32})\n/.exec(invited.stdout)?.[1];
    expect(token, invited.stdout).toBeDefined();
    expect(invited.stdout).toContain('as viewer for ben@example.com, from ana@example.com');

    const storage = openStorage({ dialect: 'sqlite', path: join(dir, 'data', 'cairn.db') });
    try {
      const rows = await storage.db.selectFrom('workspace_invitations').selectAll().execute();
      expect(rows).toEqual([expect.objectContaining({ workspace_id: ws.id, role: 'viewer', email: 'ben@example.com', hash: hashInvitationToken(token!) })]);
      const audit = await storage.db.selectFrom('audit_log').select(['action', 'credential_kind']).where('workspace_id', '=', ws.id).execute();
      expect(audit).toEqual(expect.arrayContaining([{ action: 'workspace.create', credential_kind: 'cli' }, { action: 'invitation.create', credential_kind: 'cli' }]));
      expect(JSON.stringify(audit)).not.toContain(token);
    } finally {
      await storage.close();
    }
  });

  test('bad input is a clear error with exit 1: an unknown role, a personal workspace, an unknown inviter', SLOW, async () => {
    const listed = JSON.parse((await cairn('workspace', 'list', '--user', 'ben@example.com', '--json')).stdout) as { id: string; kind: string }[];
    const personal = listed.find((w) => w.kind === 'personal')!;
    const role = await cairn('workspace', 'invite', '--workspace', personal.id, '--role', 'boss');
    expect(role.code).toBe(1);
    expect(role.stderr).toContain('--role must be one of owner, admin, member, viewer');
    const own = await cairn('workspace', 'invite', '--workspace', personal.id, '--role', 'member');
    expect(own.code).toBe(1);
    expect(own.stderr).toContain('personal workspace cannot have members');
    const by = await cairn('workspace', 'invite', '--workspace', personal.id, '--role', 'member', '--by', 'ana@example.com');
    expect(by.code).toBe(1);
    expect(by.stderr).toContain(`ana@example.com is not a member of workspace ${personal.id}`);
    expect(`${role.stderr}${own.stderr}${by.stderr}`).not.toMatch(/\n\s+at /);
  });
});
