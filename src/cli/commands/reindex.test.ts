import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Principal } from '../../core/principal.js';
import { openRuntime } from '../../runtime.js';
import { createLogger } from '../../logging.js';
import { ConceptEmbedder } from '../../testing/concept-embedder.js';
import { TEST_SECRET } from '../../testing/build-test-app.js';
import { runCli } from '../main.js';

let dir: string;
let env: NodeJS.ProcessEnv;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cairn-reindex-'));
  env = { CAIRN_DATA_DIR: dir, CAIRN_SECRET: TEST_SECRET, CAIRN_LOG_LEVEL: 'silent' };
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Memories written before any embedder was configured: nothing queued, no vectors. */
async function seed(memoriesPerUser: Record<string, number>): Promise<Record<string, string>> {
  const runtime = await openRuntime({ env, migrate: 'always', logger: createLogger('silent') });
  const workspaces: Record<string, string> = {};
  try {
    for (const [email, n] of Object.entries(memoriesPerUser)) {
      const owner = await runtime.services.users.create({ email });
      const { key } = await runtime.services.apiKeys.create(
        { userId: owner.user.id, workspaceId: owner.workspace.id },
        { name: 'seed', scopes: ['memories:write'], expiresAt: null },
        { kind: 'cli', credentialId: null },
      );
      const verified = await runtime.services.verifier.verify(key);
      const principal = (verified as { principal: Principal }).principal;
      await runtime.services.memories.addMany(principal, Array.from({ length: n }, (_, i) => ({ content: `${email} memory number ${i}` })));
      workspaces[email] = owner.workspace.id;
    }
  } finally {
    await runtime.close();
  }
  return workspaces;
}

async function reindex(embedder: ConceptEmbedder | undefined, args: string[] = [], isTTY = false) {
  let out = '';
  let err = '';
  const code = await runCli(['reindex', ...args], {
    env,
    isTTY,
    ...(embedder ? { embedder } : {}),
    out: (s) => (out += s),
    err: (s) => (err += s),
  });
  return { code, out, err };
}

describe('cairn reindex', () => {
  it('embeds memories written before an embedder was configured, with plain progress lines off a terminal, then has nothing to do', async () => {
    await seed({ 'ada@example.com': 40, 'bob@example.com': 25 });
    const embedder = new ConceptEmbedder();
    const first = await reindex(embedder);
    expect(first.code).toBe(0);
    expect(first.out).toBe('Embedded 65 of 65 queued memories with concept-test/64.\n');
    expect(first.err).toMatch(/^reindex: 32\/65 \(49%\)\nreindex: 64\/65 \(98%\)\nreindex: 65\/65 \(100%\)\n$/);
    const again = await reindex(embedder, ['--json']);
    expect(JSON.parse(again.out)).toEqual({ model: 'concept-test/64', queued: 0, embedded: 0, remaining: 0 });
  });

  it('rebuilds vectors of another model after a model change, one workspace at a time, with a bar on a terminal', async () => {
    const ws = await seed({ 'ada@example.com': 3, 'bob@example.com': 2 });
    expect((await reindex(new ConceptEmbedder(64, 'old-model'))).code).toBe(0);
    const next = new ConceptEmbedder(64, 'new-model');
    const ada = await reindex(next, ['--workspace', ws['ada@example.com']!], true);
    expect(ada.out).toBe(`Embedded 3 of 3 queued memories with new-model/64 in ${ws['ada@example.com']}.\n`);
    expect(ada.err).toBe('\r[##############################] 100% 3/3\n');
    expect(JSON.parse((await reindex(next, ['--json'])).out)).toMatchObject({ queued: 2, embedded: 2 });
    // --all rebuilds even current vectors.
    expect(JSON.parse((await reindex(next, ['--all', '--json'])).out)).toMatchObject({ queued: 5, embedded: 5 });
  });

  it('stops when the embedder is down, says so, and resumes on the next run', async () => {
    await seed({ 'ada@example.com': 70 });
    const embedder = new ConceptEmbedder();
    const ok = await reindex(embedder, ['--json']);
    expect(JSON.parse(ok.out)).toMatchObject({ embedded: 70 });
    const changed = new ConceptEmbedder(64, 'changed');
    changed.down = true;
    const failed = await reindex(changed);
    expect(failed.code).toBe(1);
    expect(changed.calls).toHaveLength(1);
    expect(failed.err).toContain('70 memories are still waiting for a vector (last error: test embedder is down)');
    changed.down = false;
    const resumed = await reindex(changed, ['--json']);
    expect(JSON.parse(resumed.out)).toEqual({ model: 'changed/64', queued: 70, embedded: 70, remaining: 0 });
  });

  it('explains that an embedder must be configured first', async () => {
    await seed({ 'ada@example.com': 1 });
    const r = await reindex(undefined);
    expect(r.code).toBe(1);
    expect(r.err).toContain('No embedder is configured');
  });
});
