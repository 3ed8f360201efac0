import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmbedderConfig } from '../config/schema.js';
import { EmbedderUnavailableError } from './errors.js';
import { createEmbedder, probeEmbedder, type EmbedderLog } from './index.js';
import { closedUrl, startFakeOpenAiServer, type FakeOpenAiServer } from '../testing/fake-openai-server.js';

const KEY = 'sk-index-test-secret-key-42';
let server: FakeOpenAiServer;
beforeAll(async () => {
  server = await startFakeOpenAiServer({ apiKey: KEY });
});
afterAll(() => server.close());

function recorder(): EmbedderLog & { lines: { level: string; message: string; detail: object }[] } {
  const lines: { level: string; message: string; detail: object }[] = [];
  return {
    lines,
    info: (detail, message) => lines.push({ level: 'info', message, detail }),
    warn: (detail, message) => lines.push({ level: 'warn', message, detail }),
  };
}

function openai(overrides: Partial<Extract<EmbedderConfig, { kind: 'openai' }>> = {}): EmbedderConfig {
  return { kind: 'openai', url: server.url, model: 'nomic-embed-text', apiKey: KEY, batchSize: 8, timeoutMs: 2000, ...overrides };
}

describe('createEmbedder: start-up', () => {
  it('with none configured: no embedder, and one line saying search is lexical-only', async () => {
    const log = recorder();
    expect(await createEmbedder({ kind: 'none' }, log)).toBeUndefined();
    expect(log.lines).toEqual([{ level: 'info', message: 'lexical-only search (no embedder configured)', detail: { embedder: 'none' } }]);
  });

  it('with a reachable provider: probes it once, learns the vector length, says semantic search is on', async () => {
    const log = recorder();
    const embedder = await createEmbedder(openai(), log);
    expect(embedder?.dimensions).toBe(8);
    expect(embedder?.status()).toMatchObject({ kind: 'openai', model: 'nomic-embed-text', state: 'ready', dimensions: 8, where: `${server.url}/embeddings` });
    expect(log.lines).toHaveLength(1);
    expect(log.lines[0]!.message).toBe('semantic search on: openai embedder nomic-embed-text (8 dimensions)');
  });

  it('unreachable at start: one warning, lexical-only, fails fast while down, and recovers by itself', async () => {
    const log = recorder();
    let now = 1_000;
    const embedder = await createEmbedder(openai({ url: await closedUrl() }), log, { now: () => now, cooldownMs: 5000 });
    expect(embedder).toBeDefined();
    expect(embedder!.status()).toMatchObject({ state: 'unreachable', detail: expect.stringMatching(/ECONNREFUSED/) });
    expect(log.lines.map((l) => l.level)).toEqual(['warn']);
    expect(log.lines[0]!.message).toMatch(/unreachable .*ECONNREFUSED.*lexical-only until it answers/);
    // Before anything answered the vector length is unknown: nothing may store or compare vectors yet.
    expect(() => embedder!.dimensions).toThrow(EmbedderUnavailableError);

    // Within the cool-down, calls fail at once (searches fall back without waiting on the network).
    await expect(embedder!.embed(['x'])).rejects.toThrow(/will try again shortly/);
    now += 6000;
    await expect(embedder!.embed(['x'])).rejects.toThrow(EmbedderUnavailableError);
    expect(log.lines).toHaveLength(1); // still one warning, not one per call
  });

  it('logs the way back once: unreachable → reachable', async () => {
    const log = recorder();
    let now = 0;
    const embedder = (await createEmbedder(openai(), log, { now: () => now, cooldownMs: 1000 }))!;
    server.failWith(503, 'restarting');
    await expect(embedder.embed(['x'])).rejects.toThrow(EmbedderUnavailableError);
    await expect(embedder.embed(['x'])).rejects.toThrow(EmbedderUnavailableError);
    server.failWith(undefined);
    now += 2000;
    expect(await embedder.embed(['x'])).toHaveLength(1);
    expect(log.lines.map((l) => `${l.level} ${l.message}`)).toEqual([
      'info semantic search on: openai embedder nomic-embed-text (8 dimensions)',
      expect.stringMatching(/^warn embedder nomic-embed-text is unreachable \(HTTP 503 .*restarting\)/),
      'info embedder nomic-embed-text answers again; semantic search resumed',
    ]);
  });

  it('misconfigured at start (model not pulled): lexical-only with the fix in the warning, no embedder', async () => {
    const log = recorder();
    expect(await createEmbedder(openai({ model: 'unknown' }), log)).toBeUndefined();
    expect(log.lines).toHaveLength(1);
    expect(log.lines[0]!.message).toMatch(/misconfigured: HTTP 404 .*ollama pull unknown/);
  });

  it('never logs the API key, even when the server echoes a wrong one', async () => {
    const log = recorder();
    const wrong = 'sk-wrong-but-still-secret-99';
    await createEmbedder(openai({ apiKey: wrong }), log);
    expect(log.lines[0]!.message).toMatch(/HTTP 401/);
    expect(JSON.stringify(log.lines)).not.toContain(wrong);
    expect(JSON.stringify(log.lines)).not.toContain(KEY);
  });

  it('a local provider without the optional package: lexical-only, and the warning says what to install', async () => {
    const log = recorder();
    const notInstalled = Object.assign(new Error('Cannot find package'), { code: 'ERR_MODULE_NOT_FOUND' });
    const embedder = await createEmbedder({ kind: 'local', model: 'Xenova/all-MiniLM-L6-v2', modelDir: '/tmp/none', allowDownload: false, batchSize: 8 }, log, {
      importTransformers: () => Promise.reject(notInstalled),
    });
    expect(embedder).toBeUndefined();
    expect(log.lines[0]!.message).toMatch(/npm install @huggingface\/transformers/);
  });
});

describe('probeEmbedder: for cairn doctor', () => {
  it('reports none, ready, unreachable and misconfigured', async () => {
    expect(await probeEmbedder({ kind: 'none' })).toEqual({ kind: 'none' });
    expect(await probeEmbedder(openai())).toMatchObject({ state: 'ready', dimensions: 8 });
    expect(await probeEmbedder(openai({ url: await closedUrl() }))).toMatchObject({ state: 'unreachable' });
    expect(await probeEmbedder(openai({ apiKey: 'sk-nope-nope' }))).toMatchObject({ state: 'misconfigured', detail: expect.stringMatching(/CAIRN_EMBEDDER_API_KEY/) });
  });

  it('never downloads: a local model not on disk yet is reported as pending download', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cairn-doctor-models-'));
    try {
      const status = await probeEmbedder({ kind: 'local', model: 'Xenova/all-MiniLM-L6-v2', modelDir: dir, allowDownload: true, batchSize: 8 });
      expect(status).toMatchObject({ state: 'unknown', detail: expect.stringMatching(/not downloaded yet; the first start downloads it into/) });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
