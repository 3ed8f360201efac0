import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { cairnEnv, runCairn } from '../testing/cairn-process.js';

const SLOW = { timeout: 90_000 };

let dir: string;
const cairn = (...args: string[]) => runCairn(args, { cwd: dir, env: cairnEnv() });

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cairn-cli-keys-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('cairn keys rotate-signing / list-signing', () => {
  test('rotates the OAuth signing key; the retired one is listed as still verifying; nothing secret is printed', SLOW, async () => {
    const empty = await cairn('keys', 'list-signing');
    expect(empty.code).toBe(0);
    expect(empty.stdout).toContain('No signing key yet');

    const first = await cairn('keys', 'rotate-signing', '--json');
    expect(first.code).toBe(0);
    const { kid: firstKid, retired: none } = JSON.parse(first.stdout) as { kid: string; retired: string[] };
    expect(none).toEqual([]);

    const second = await cairn('keys', 'rotate-signing');
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/^New signing key \S+\./);
    expect(second.stdout).toContain(`Retired ${firstKid}`);
    expect(second.stdout).toContain('within 30 s');

    const listed = await cairn('keys', 'list-signing', '--json');
    const keys = JSON.parse(listed.stdout) as { kid: string; status: string }[];
    expect(keys.map((k) => k.status)).toEqual(['signing', 'verifying']);
    expect(keys[1]!.kid).toBe(firstKid);
    for (const out of [first, second, listed]) expect(out.stdout + out.stderr).not.toMatch(/"d"\s*:/);
  });

  test('is not the API-key command group', SLOW, async () => {
    const help = await cairn('keys', '--help');
    expect(help.stdout).toContain('rotate-signing');
    expect(help.stdout).toContain('OAuth access tokens');
  });
});
