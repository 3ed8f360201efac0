import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbedderConfigError, EmbedderRequestError, EmbedderUnavailableError } from './errors.js';
import { OpenAiCompatibleEmbedder, type OpenAiCompatibleOptions } from './openai-compatible.js';
import { closedUrl, startFakeOpenAiServer, vectorOf, type FakeOpenAiServer } from '../testing/fake-openai-server.js';

const KEY = 'sk-test-0123456789abcdef';
let server: FakeOpenAiServer;
let keyed: FakeOpenAiServer;

beforeAll(async () => {
  server = await startFakeOpenAiServer();
  keyed = await startFakeOpenAiServer({ apiKey: KEY });
});
afterAll(async () => {
  await server.close();
  await keyed.close();
});

function embedder(options: Partial<OpenAiCompatibleOptions> = {}): OpenAiCompatibleEmbedder {
  return new OpenAiCompatibleEmbedder({ url: server.url, model: 'nomic-embed-text', batchSize: 32, timeoutMs: 5000, ...options });
}

async function errorOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('OpenAI-compatible embedder: the /v1/embeddings API', () => {
  it('POSTs {model, input} to <url>/embeddings and returns one vector per text, in input order', async () => {
    const before = server.requests.length;
    const vectors = await embedder().embed(['first text', 'second', 'third one']);
    expect(vectors.map((v) => Array.from(v))).toEqual(['first text', 'second', 'third one'].map((t) => vectorOf(t, 8)));
    const [request] = server.requests.slice(before);
    expect(request).toMatchObject({ path: '/v1/embeddings', body: { model: 'nomic-embed-text', input: ['first text', 'second', 'third one'], encoding_format: 'float' } });
    expect(request!.body.dimensions).toBeUndefined();
    expect(request!.authorization).toBeUndefined();
  });

  it('splits long inputs into batches of batchSize and keeps the order across them', async () => {
    const before = server.requests.length;
    const texts = ['a', 'bb', 'ccc', 'dddd', 'eeeee'];
    const vectors = await embedder({ batchSize: 2 }).embed(texts);
    expect(server.requests.slice(before).map((r) => r.body.input)).toEqual([['a', 'bb'], ['ccc', 'dddd'], ['eeeee']]);
    expect(vectors.map((v) => Array.from(v))).toEqual(texts.map((t) => vectorOf(t, 8)));
  });

  it('learns the vector length from the first answer; the id names model and length', async () => {
    const e = embedder();
    expect(() => e.dimensions).toThrow(EmbedderUnavailableError);
    await e.embed(['x']);
    expect(e.dimensions).toBe(8);
    expect(e.id).toBe('openai:nomic-embed-text/8');
  });

  it('sends CAIRN_EMBEDDER_DIMENSIONS as `dimensions` and holds every answer to it', async () => {
    const before = server.requests.length;
    const e = embedder({ dimensions: 4 });
    expect(e.dimensions).toBe(4);
    expect((await e.embed(['x']))[0]).toHaveLength(4);
    expect(server.requests[before]!.body.dimensions).toBe(4);
  });

  it('refuses vectors of another length than configured, as a configuration error', async () => {
    const fixed = await startFakeOpenAiServer({ dimensions: 8 });
    try {
      // A server that ignores `dimensions` (as many do) answers with its own length.
      const e = new OpenAiCompatibleEmbedder({ url: fixed.url, model: 'm', dimensions: 4, batchSize: 8, timeoutMs: 5000 });
      const err = await errorOf(e.embed(['x']));
      expect(err).toBeInstanceOf(EmbedderConfigError);
      expect(err.message).toMatch(/8 dimensions but CAIRN_EMBEDDER_DIMENSIONS is 4/);
    } finally {
      await fixed.close();
    }
  });

  it('returns nothing for nothing, without a request', async () => {
    const before = server.requests.length;
    expect(await embedder().embed([])).toEqual([]);
    expect(server.requests.length).toBe(before);
  });
});

describe('OpenAI-compatible embedder: API key', () => {
  it('sends the key as a Bearer token', async () => {
    const e = new OpenAiCompatibleEmbedder({ url: keyed.url, model: 'text-embedding-3-small', apiKey: KEY, batchSize: 8, timeoutMs: 5000 });
    await e.embed(['hello']);
    expect(keyed.requests.at(-1)!.authorization).toBe(`Bearer ${KEY}`);
  });

  it('maps 401 to a configuration error that names the setting and never contains the key, even when the server echoes it', async () => {
    const wrong = 'sk-wrong-key-that-leaks-0000';
    const e = new OpenAiCompatibleEmbedder({ url: keyed.url, model: 'text-embedding-3-small', apiKey: wrong, batchSize: 8, timeoutMs: 5000 });
    const err = await errorOf(e.embed(['hello']));
    expect(err).toBeInstanceOf(EmbedderConfigError);
    expect(err.message).toMatch(/HTTP 401/);
    expect(err.message).toMatch(/CAIRN_EMBEDDER_API_KEY/);
    expect(err.message).not.toContain(wrong);
    expect(JSON.stringify(err)).not.toContain(wrong);
  });
});

describe('OpenAI-compatible embedder: errors are typed for retry', () => {
  it.each([429, 500, 502, 503, 408])('HTTP %i means unavailable (retry later)', async (status) => {
    server.failWith(status, 'overloaded');
    try {
      const err = await errorOf(embedder().embed(['x']));
      expect(err).toBeInstanceOf(EmbedderUnavailableError);
      expect(err.message).toContain(`HTTP ${status}`);
      expect(err.message).toContain('overloaded');
    } finally {
      server.failWith(undefined);
    }
  });

  it.each([400, 413, 422])('HTTP %i means these texts were refused (not retryable as they are)', async (status) => {
    server.failWith(status, 'input too long');
    try {
      const err = await errorOf(embedder().embed(['x']));
      expect(err).toBeInstanceOf(EmbedderRequestError);
      expect(err.message).toContain('input too long');
    } finally {
      server.failWith(undefined);
    }
  });

  it('an unknown model (404) is a configuration error with the fix', async () => {
    const err = await errorOf(embedder({ model: 'unknown' }).embed(['x']));
    expect(err).toBeInstanceOf(EmbedderConfigError);
    expect(err.message).toMatch(/HTTP 404 .*not found, try pulling it first.*ollama pull unknown/);
  });

  it('a wrong URL (an answer that is not JSON) is a configuration error', async () => {
    const err = await errorOf(embedder({ model: 'html' }).embed(['x']));
    expect(err).toBeInstanceOf(EmbedderConfigError);
    expect(err.message).toMatch(/other than JSON.*CAIRN_EMBEDDER_URL/);
  });

  it('an answer with the wrong number of vectors is a configuration error', async () => {
    const err = await errorOf(embedder({ model: 'short' }).embed(['x', 'y']));
    expect(err).toBeInstanceOf(EmbedderConfigError);
  });

  it('a refused connection means unavailable', async () => {
    const err = await errorOf(embedder({ url: await closedUrl() }).embed(['x']));
    expect(err).toBeInstanceOf(EmbedderUnavailableError);
    expect(err.message).toMatch(/did not answer: ECONNREFUSED/);
  });

  it('a server slower than timeoutMs means unavailable, and the call gives up at the timeout', async () => {
    const started = Date.now();
    const err = await errorOf(embedder({ model: 'slow', timeoutMs: 300 }).embed(['x']));
    expect(err).toBeInstanceOf(EmbedderUnavailableError);
    expect(err.message).toMatch(/no answer within 300 ms/);
    expect(Date.now() - started).toBeLessThan(1500);
  });
});
