import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRuntime } from '../runtime.js';
import { ManagedEmbedder } from './index.js';
import { writeTinyBert } from '../testing/tiny-bert.js';
import { startFakeOpenAiServer, type FakeOpenAiServer } from '../testing/fake-openai-server.js';

const KEY = 'sk-runtime-test-key-7777777';
const transformersInstalled = (() => {
  try {
    createRequire(import.meta.url).resolve('@huggingface/transformers');
    return true;
  } catch {
    return false;
  }
})();
let server: FakeOpenAiServer;
let dir: string;
beforeAll(async () => {
  server = await startFakeOpenAiServer({ apiKey: KEY });
  dir = mkdtempSync(join(tmpdir(), 'cairn-runtime-embedder-'));
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, logger: pino({ level: 'info' }, stream) };
}

describe('openRuntime: the configured embedder becomes services.embedder', () => {
  it('none: no embedder, and one start-up line saying search is lexical-only', async () => {
    const { lines, logger } = capture();
    const runtime = await openRuntime({ env: { CAIRN_DATA_DIR: join(dir, 'a') }, migrate: 'always', logger });
    try {
      expect(runtime.services.embedder).toBeUndefined();
      expect(lines.filter((l) => l.includes('lexical-only search (no embedder configured)'))).toHaveLength(1);
    } finally {
      await runtime.close();
    }
  });

  it('openai: probed at start, exposed with its status, and the API key never reaches the log', async () => {
    const { lines, logger } = capture();
    const env = { CAIRN_DATA_DIR: join(dir, 'b'), CAIRN_EMBEDDER: 'openai', CAIRN_EMBEDDER_URL: server.url, CAIRN_EMBEDDER_MODEL: 'nomic-embed-text', CAIRN_EMBEDDER_API_KEY: KEY };
    const runtime = await openRuntime({ env, migrate: 'always', logger });
    try {
      const embedder = runtime.services.embedder;
      expect(embedder).toBeInstanceOf(ManagedEmbedder);
      expect((embedder as ManagedEmbedder).status()).toMatchObject({ kind: 'openai', state: 'ready', dimensions: 8 });
      expect(runtime.services.embeddings).toBeDefined();
      expect(lines.join('')).toContain('semantic search on: openai embedder nomic-embed-text (8 dimensions)');
      expect(lines.join('')).not.toContain(KEY);
    } finally {
      await runtime.close();
    }
  });

  it.skipIf(!transformersInstalled)('local: loads the model from <dataDir>/models/<id> at start', async () => {
    const dataDir = join(dir, 'c');
    writeTinyBert(join(dataDir, 'models', 'cairn-tests', 'tiny-bert'), { hiddenSize: 12 });
    const { lines, logger } = capture();
    const runtime = await openRuntime({ env: { CAIRN_DATA_DIR: dataDir, CAIRN_EMBEDDER: 'local', CAIRN_EMBEDDER_MODEL: 'cairn-tests/tiny-bert' }, migrate: 'always', logger });
    try {
      expect((runtime.services.embedder as ManagedEmbedder).status()).toMatchObject({ kind: 'local', state: 'ready', dimensions: 12 });
      expect(lines.join('')).toContain('semantic search on: local embedder cairn-tests/tiny-bert (12 dimensions)');
    } finally {
      await runtime.close();
    }
  });
});
