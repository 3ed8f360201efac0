import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedUrl, startFakeOpenAiServer, type FakeOpenAiServer } from '../../testing/fake-openai-server.js';
import type { CliContext } from '../context.js';
import { checkEmbedder, runDoctor } from './doctor.js';

const KEY = 'sk-doctor-embedder-key-123456';
let server: FakeOpenAiServer;
let dir: string;
beforeAll(async () => {
  server = await startFakeOpenAiServer({ apiKey: KEY });
  dir = mkdtempSync(join(tmpdir(), 'cairn-doctor-embedder-'));
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

async function doctor(env: Record<string, string>): Promise<{ code: number; out: string }> {
  let out = '';
  const ctx: CliContext = { env: { CAIRN_DATA_DIR: join(dir, 'data'), ...env }, cwd: dir, out: (t) => void (out += t), err: (t) => void (out += t) };
  const code = await runDoctor(ctx);
  return { code, out };
}

describe('cairn doctor: embedder', () => {
  it('with none: an ok line saying search is lexical-only', async () => {
    const { code, out } = await doctor({});
    expect(code).toBe(0);
    expect(out).toMatch(/ok +embedder: lexical-only search \(no embedder configured/);
    expect(out).toMatch(/CAIRN_EMBEDDER +│? *none/);
  });

  it('with a reachable provider: kind, model, endpoint, dimensions; the API key is never printed', async () => {
    const { code, out } = await doctor({ CAIRN_EMBEDDER: 'openai', CAIRN_EMBEDDER_URL: server.url, CAIRN_EMBEDDER_MODEL: 'nomic-embed-text', CAIRN_EMBEDDER_API_KEY: KEY });
    expect(code).toBe(0);
    expect(out).toContain(`ok    embedder: openai nomic-embed-text at ${server.url}/embeddings answers (8 dimensions); semantic search is on`);
    expect(out).toMatch(/CAIRN_EMBEDDER_API_KEY.*\[redacted\]/);
    expect(out).not.toContain(KEY);
  });

  it('unreachable is a warning (Cairn still starts, lexical-only); a refused key is a failure', async () => {
    const down = await doctor({ CAIRN_EMBEDDER: 'openai', CAIRN_EMBEDDER_URL: await closedUrl(), CAIRN_EMBEDDER_MODEL: 'm' });
    expect(down.code).toBe(0);
    expect(down.out).toMatch(/WARN {2}embedder: openai m at .* is unreachable: .*ECONNREFUSED.*starts lexical-only/);
    const refused = await doctor({ CAIRN_EMBEDDER: 'openai', CAIRN_EMBEDDER_URL: server.url, CAIRN_EMBEDDER_MODEL: 'm', CAIRN_EMBEDDER_API_KEY: 'sk-wrong-key-0000' });
    expect(refused.code).toBe(1);
    expect(refused.out).toMatch(/FAIL {2}embedder: .*HTTP 401.*CAIRN_EMBEDDER_API_KEY/);
    expect(refused.out).not.toContain('sk-wrong-key-0000');
  });

  it('maps every state to a check', () => {
    expect(checkEmbedder({ kind: 'local', model: 'x', where: '/m/x', state: 'unknown', detail: 'not downloaded yet' })).toMatchObject({ status: 'warn' });
    expect(checkEmbedder({ kind: 'local', model: 'x', where: '/m/x', state: 'misconfigured', detail: 'no model at /m/x' })).toMatchObject({ status: 'fail' });
  });
});
