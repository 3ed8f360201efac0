import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './load.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cairn-config-embedder-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function problems(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env, { cwd: dir });
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => `${p.setting}: ${p.message}`);
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig: the embedder', () => {
  it('defaults to none (lexical-only)', () => {
    expect(loadConfig({}, { cwd: dir }).embedder).toEqual({ kind: 'none' });
  });

  it('openai: base URL (trailing slash or /embeddings accepted), model, key, dimensions', () => {
    const config = loadConfig(
      { CAIRN_EMBEDDER: 'openai', CAIRN_EMBEDDER_URL: 'http://127.0.0.1:11434/v1/embeddings', CAIRN_EMBEDDER_MODEL: 'nomic-embed-text', CAIRN_EMBEDDER_API_KEY: 'sk-x', CAIRN_EMBEDDER_DIMENSIONS: '768' },
      { cwd: dir },
    );
    expect(config.embedder).toEqual({ kind: 'openai', url: 'http://127.0.0.1:11434/v1', model: 'nomic-embed-text', apiKey: 'sk-x', dimensions: 768, batchSize: 32, timeoutMs: 30_000 });
    expect(loadConfig({ CAIRN_EMBEDDER: 'openai', CAIRN_EMBEDDER_URL: 'https://api.openai.com/v1/', CAIRN_EMBEDDER_MODEL: 'm' }, { cwd: dir }).embedder).toMatchObject({
      url: 'https://api.openai.com/v1',
    });
  });

  it('local: model dir defaults to <dataDir>/models, downloads default off', () => {
    const config = loadConfig({ CAIRN_EMBEDDER: 'local', CAIRN_EMBEDDER_MODEL: 'Xenova/all-MiniLM-L6-v2', CAIRN_DATA_DIR: './d' }, { cwd: dir });
    expect(config.embedder).toEqual({ kind: 'local', model: 'Xenova/all-MiniLM-L6-v2', modelDir: join(dir, 'd', 'models'), allowDownload: false, batchSize: 16 });
    const custom = loadConfig({ CAIRN_EMBEDDER: 'local', CAIRN_EMBEDDER_MODEL: './my-model', CAIRN_EMBEDDER_MODEL_DIR: 'm', CAIRN_EMBEDDER_ALLOW_DOWNLOAD: 'true' }, { cwd: dir });
    expect(custom.embedder).toMatchObject({ model: join(dir, 'my-model'), modelDir: join(dir, 'm'), allowDownload: true });
  });

  it('lists every missing or bad embedder setting at once, with the others', () => {
    expect(problems({ CAIRN_EMBEDDER: 'openai', CAIRN_EMBEDDER_DIMENSIONS: 'lots', CAIRN_PORT: 'x' })).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^CAIRN_PORT: /),
        expect.stringMatching(/^CAIRN_EMBEDDER_DIMENSIONS: must be a whole number/),
        expect.stringMatching(/^CAIRN_EMBEDDER_URL: is required when CAIRN_EMBEDDER=openai \(e\.g\. http:\/\/127\.0\.0\.1:11434\/v1/),
        expect.stringMatching(/^CAIRN_EMBEDDER_MODEL: is required when CAIRN_EMBEDDER=openai/),
      ]),
    );
    expect(problems({ CAIRN_EMBEDDER: 'local' })).toEqual([expect.stringMatching(/^CAIRN_EMBEDDER_MODEL: is required when CAIRN_EMBEDDER=local \(e\.g\. Xenova/)]);
    expect(problems({ CAIRN_EMBEDDER: 'ollama' })).toEqual([expect.stringMatching(/^CAIRN_EMBEDDER: /)]);
  });

  it('rejects a URL with credentials and never echoes them', () => {
    const found = problems({ CAIRN_EMBEDDER: 'openai', CAIRN_EMBEDDER_URL: 'https://user:hunter2@api.example/v1', CAIRN_EMBEDDER_MODEL: 'm' });
    expect(found).toEqual([expect.stringMatching(/^CAIRN_EMBEDDER_URL: must not contain credentials; put the key in CAIRN_EMBEDDER_API_KEY/)]);
    expect(found.join()).not.toContain('hunter2');
  });

  it('does not put the API key in a problem message', () => {
    const found = problems({ CAIRN_EMBEDDER: 'openai', CAIRN_EMBEDDER_API_KEY: 'sk-very-secret', CAIRN_EMBEDDER_URL: 'ftp://x' });
    expect(found.join('\n')).not.toContain('sk-very-secret');
  });
});
