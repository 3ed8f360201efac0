import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbedderConfigError, EmbedderUnavailableError } from './errors.js';
import { LocalTransformersEmbedder, TRANSFORMERS_PACKAGE } from './local-transformers.js';
import { TINY_VOCAB, writeTinyBert } from '../testing/tiny-bert.js';

// The package is an optional dependency: without it (npm install --omit=optional) only the
// "not installed" behaviour can be tested.
const installed = (() => {
  try {
    createRequire(import.meta.url).resolve(TRANSFORMERS_PACKAGE);
    return true;
  } catch {
    return false;
  }
})();

const MODEL = 'cairn-tests/tiny-bert';
const HIDDEN = 16;
let modelDir: string;
let embedder: LocalTransformersEmbedder;

beforeAll(() => {
  modelDir = mkdtempSync(join(tmpdir(), 'cairn-models-'));
  writeTinyBert(join(modelDir, MODEL), { hiddenSize: HIDDEN });
  embedder = new LocalTransformersEmbedder({ model: MODEL, modelDir, allowDownload: false, batchSize: 4 });
});
afterAll(async () => {
  await embedder.close();
  rmSync(modelDir, { recursive: true, force: true });
});

/** The few onnxruntime-node calls used below. */
interface OnnxRuntime {
  InferenceSession: { create(path: string): Promise<{ run(feeds: object): Promise<Record<string, { dims: number[]; data: unknown }>>; release(): Promise<void> }> };
  Tensor: new (type: 'int64', data: BigInt64Array, dims: number[]) => object;
}

const norm = (v: Float32Array) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
const maxDiff = (a: Float32Array, b: Float32Array) => Math.max(...Array.from(a, (x, i) => Math.abs(x - b[i]!)));

describe.skipIf(!installed)('local embedder: a generated BERT-shaped ONNX model through @huggingface/transformers', () => {
  it('loads the model from <modelDir>/<id> and returns one vector of hidden_size per text', async () => {
    const vectors = await embedder.embed(['the cat sat on the mat', 'hello world']);
    expect(vectors).toHaveLength(2);
    for (const v of vectors) expect(v).toHaveLength(HIDDEN);
    expect(embedder.dimensions).toBe(HIDDEN);
    expect(embedder.id).toBe(`local:${MODEL}/${HIDDEN}`);
  });

  it('L2-normalises every vector', async () => {
    for (const v of await embedder.embed(['a quick brown fox', 'remember this', 'coffee ?'])) expect(norm(v)).toBeCloseTo(1, 5);
  });

  it('is deterministic', async () => {
    const [a] = await embedder.embed(['the agent remembers the search server']);
    const [b] = await embedder.embed(['the agent remembers the search server']);
    expect(Array.from(a!)).toEqual(Array.from(b!));
  });

  it('gives different texts different vectors', async () => {
    const [a, b] = await embedder.embed(['the cat sat on the mat', 'a lazy dog jumps over the fox']);
    expect(maxDiff(a!, b!)).toBeGreaterThan(0.01);
  });

  it('mean pooling respects the attention mask: padding in a batch does not change a sentence', async () => {
    const [alone] = await embedder.embed(['hello']);
    // In a batch with a longer sentence, "hello" is padded with [PAD] tokens whose states are not zero.
    const [padded, long] = await embedder.embed(['hello', 'the quick brown fox jumps over the lazy dog on the mat']);
    expect(maxDiff(alone!, padded!)).toBeLessThan(1e-5);
    expect(maxDiff(alone!, long!)).toBeGreaterThan(0.01);
  });

  it('the padding test is not vacuous: the model gives padded positions non-zero states', async () => {
    // Through a variable specifier: onnxruntime-node is only there when the optional package is.
    const specifier = 'onnxruntime-node';
    const ort = (await import(specifier)) as OnnxRuntime;
    const session = await ort.InferenceSession.create(join(modelDir, MODEL, 'onnx', 'model.onnx'));
    const ids = [TINY_VOCAB.indexOf('[CLS]'), TINY_VOCAB.indexOf('hello'), TINY_VOCAB.indexOf('[SEP]'), 0, 0];
    const int64 = (values: number[]) => new ort.Tensor('int64', BigInt64Array.from(values.map(BigInt)), [1, values.length]);
    const out = await session.run({ input_ids: int64(ids), attention_mask: int64([1, 1, 1, 0, 0]), token_type_ids: int64([0, 0, 0, 0, 0]) });
    const states = out['last_hidden_state']!;
    expect(states.dims).toEqual([1, 5, HIDDEN]);
    const padState = Array.from(states.data as Float32Array).slice(3 * HIDDEN, 4 * HIDDEN);
    expect(Math.max(...padState.map(Math.abs))).toBeGreaterThan(0.05);
    await session.release();
  });

  it('splits inputs longer than batchSize into several forward passes, in order', async () => {
    const texts = ['a', 'cat', 'dog', 'mat', 'fox', 'the dog sat', 'hello world', 'coffee', 'search'];
    const together = await embedder.embed(texts);
    const oneByOne = await Promise.all(texts.map(async (t) => (await embedder.embed([t]))[0]!));
    together.forEach((v, i) => expect(maxDiff(v, oneByOne[i]!)).toBeLessThan(1e-5));
  });

  it('accepts the absolute path of a model directory', async () => {
    const byPath = new LocalTransformersEmbedder({ model: join(modelDir, MODEL), modelDir: '/nonexistent', allowDownload: false, batchSize: 4 });
    const [a] = await byPath.embed(['hello']);
    const [b] = await embedder.embed(['hello']);
    expect(maxDiff(a!, b!)).toBeLessThan(1e-6);
    await byPath.close();
  });

  it('holds the model to CAIRN_EMBEDDER_DIMENSIONS', async () => {
    const wrong = new LocalTransformersEmbedder({ model: MODEL, modelDir, allowDownload: false, dimensions: 384, batchSize: 4 });
    await expect(wrong.embed(['hello'])).rejects.toThrow(/16 dimensions but CAIRN_EMBEDDER_DIMENSIONS is 384/);
    await wrong.close();
  });

  it('with downloads off, a missing model is a configuration error naming the directory, and nothing is fetched', async () => {
    const missing = new LocalTransformersEmbedder({ model: 'Xenova/all-MiniLM-L6-v2', modelDir, allowDownload: false, batchSize: 4 });
    const err = await missing.embed(['hello']).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(EmbedderConfigError);
    expect((err as Error).message).toContain(join(modelDir, 'Xenova/all-MiniLM-L6-v2'));
    expect((err as Error).message).toMatch(/CAIRN_EMBEDDER_ALLOW_DOWNLOAD=true/);
    expect(() => missing.dimensions).toThrow(EmbedderUnavailableError);
  });
});

describe('local embedder: without the optional package', () => {
  it('says how to install it', async () => {
    const notInstalled = Object.assign(new Error(`Cannot find package '${TRANSFORMERS_PACKAGE}'`), { code: 'ERR_MODULE_NOT_FOUND' });
    const e = new LocalTransformersEmbedder({ model: MODEL, modelDir: '/tmp', allowDownload: false, batchSize: 4, importTransformers: () => Promise.reject(notInstalled) });
    const err = (await e.embed(['hello']).catch((x: unknown) => x)) as Error;
    expect(err).toBeInstanceOf(EmbedderConfigError);
    expect(err.message).toMatch(/needs the optional package @huggingface\/transformers, which is not installed/);
    expect(err.message).toMatch(/ONNXRUNTIME_NODE_INSTALL=skip npm install @huggingface\/transformers/);
  });
});
