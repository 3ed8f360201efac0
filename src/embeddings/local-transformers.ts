import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { Embedder } from '../core/search/embedder.js';
import { VectorLength } from './dimensions.js';
import { EmbedderConfigError, EmbedderUnavailableError } from './errors.js';

export interface LocalTransformersOptions {
  /** A Hugging Face model id (`Xenova/all-MiniLM-L6-v2`), looked up as `<modelDir>/<id>`, or an absolute path. */
  readonly model: string;
  readonly modelDir: string;
  /** Download a model missing from `modelDir` from the Hugging Face Hub, once, into `modelDir`. */
  readonly allowDownload: boolean;
  readonly dimensions?: number;
  /** Texts per forward pass. */
  readonly batchSize: number;
  /** How the optional package is loaded; tests pass one that fails, to see the "not installed" message. */
  readonly importTransformers?: () => Promise<unknown>;
}

/** The optional package, named in one place. */
export const TRANSFORMERS_PACKAGE = '@huggingface/transformers';

/**
 * The part of `@huggingface/transformers` used here, declared locally: the package is an optional
 * dependency, so Cairn must type-check and run without it installed.
 */
interface TransformersModule {
  env: {
    allowLocalModels: boolean;
    allowRemoteModels: boolean;
    localModelPath: string;
    cacheDir: string | null;
    useFSCache: boolean;
    logLevel: number;
  };
  pipeline(task: 'feature-extraction', model: string, options: { dtype: string; device: string }): Promise<FeatureExtractor>;
}

type FeatureExtractor = ((texts: string[], options: { pooling: 'mean'; normalize: boolean }) => Promise<{ data: ArrayLike<number>; dims: number[] }>) & {
  dispose?: () => Promise<unknown>;
};

/** transformers.js's `LogLevel.ERROR`: its warnings would be stray console lines between Cairn's JSON logs. */
const TRANSFORMERS_LOG_ERROR = 40;

/**
 * An `Embedder` running a sentence-embedding ONNX model in-process with `@huggingface/transformers`
 * (onnxruntime-node on the CPU): the feature-extraction pipeline, mean pooling over the attention mask,
 * then L2 normalisation, which is how sentence-transformers models such as all-MiniLM-L6-v2 are meant
 * to be used. The model loads on first use; forward passes run one at a time, so a burst of searches and
 * the embedding worker do not each claim every core.
 */
export class LocalTransformersEmbedder implements Embedder {
  private readonly length: VectorLength;
  private loading: Promise<FeatureExtractor> | undefined;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: LocalTransformersOptions) {
    this.length = new VectorLength(options.model, options.dimensions, () => this.modelPath());
  }

  /** Configured, or learnt from the first forward pass; throws `EmbedderUnavailableError` before that. */
  get dimensions(): number {
    return this.length.value;
  }

  get id(): string {
    return `local:${this.options.model}/${this.dimensions}`;
  }

  /** Where the model's files are (or will be, once downloaded). */
  modelPath(): string {
    return isAbsolute(this.options.model) ? this.options.model : join(this.options.modelDir, this.options.model);
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    if (texts.length === 0) return [];
    const extractor = await this.load();
    const run = this.tail.then(() => this.forward(extractor, texts));
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Releases the ONNX session. */
  async close(): Promise<void> {
    const loading = this.loading;
    this.loading = undefined;
    const extractor = await loading?.catch(() => undefined);
    await extractor?.dispose?.();
  }

  private async forward(extractor: FeatureExtractor, texts: readonly string[]): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (let i = 0; i < texts.length; i += this.options.batchSize) {
      const batch = texts.slice(i, i + this.options.batchSize);
      const tensor = await extractor([...batch], { pooling: 'mean', normalize: true });
      const [rows, width] = tensor.dims;
      if (tensor.dims.length !== 2 || rows !== batch.length || !width) {
        throw new EmbedderConfigError(`${this.options.model} produced an output of shape [${tensor.dims.join(', ')}], not one vector per text; is it a sentence-embedding model?`);
      }
      this.length.check(width);
      for (let r = 0; r < rows; r++) out.push(Float32Array.from({ length: width }, (_, k) => tensor.data[r * width + k]!));
    }
    return out;
  }

  private load(): Promise<FeatureExtractor> {
    this.loading ??= this.open().catch((err: unknown) => {
      // Try again on the next call: the package may be installed, the model copied, the network back.
      this.loading = undefined;
      throw err;
    });
    return this.loading;
  }

  private async open(): Promise<FeatureExtractor> {
    const transformers = await importTransformers(this.options.importTransformers);
    const path = this.modelPath();
    const present = existsSync(join(path, 'config.json'));
    if (!present && !this.options.allowDownload) {
      throw new EmbedderConfigError(
        `no model at ${path} (expected config.json, tokenizer.json and onnx/model.onnx, as in a Hugging Face ONNX export). Copy the model there, or set CAIRN_EMBEDDER_ALLOW_DOWNLOAD=true to download it once`,
      );
    }
    const { env } = transformers;
    env.logLevel = TRANSFORMERS_LOG_ERROR;
    env.allowLocalModels = true;
    // Off unless the operator allowed it: a model Cairn cannot find must never turn into a network call.
    env.allowRemoteModels = this.options.allowDownload && !isAbsolute(this.options.model);
    env.localModelPath = this.options.modelDir;
    // Downloads are cached under the same <modelDir>/<id>/… layout that local lookup reads, so a model
    // downloaded once is found locally on the next start, even with downloads switched off again.
    env.cacheDir = this.options.modelDir;
    env.useFSCache = true;
    try {
      return await transformers.pipeline('feature-extraction', this.options.model, {
        dtype: 'fp32',
        device: 'cpu',
      });
    } catch (err) {
      throw explainLoadError(err, this.options.model, path, present);
    }
  }
}

async function importTransformers(importer?: () => Promise<unknown>): Promise<TransformersModule> {
  try {
    // A variable specifier: TypeScript must not resolve the optional package at build time.
    const specifier: string = TRANSFORMERS_PACKAGE;
    return (await (importer ? importer() : import(specifier))) as TransformersModule;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException)?.code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new EmbedderConfigError(
        `CAIRN_EMBEDDER=local needs the optional package ${TRANSFORMERS_PACKAGE}, which is not installed. Install it in Cairn's directory with: ONNXRUNTIME_NODE_INSTALL=skip npm install ${TRANSFORMERS_PACKAGE} (or use CAIRN_EMBEDDER=openai with Ollama)`,
        { cause: err },
      );
    }
    throw new EmbedderConfigError(`${TRANSFORMERS_PACKAGE} is installed but failed to load: ${(err as Error)?.message ?? String(err)}`, { cause: err });
  }
}

/** A failed download is "later"; a model that is there but cannot be read is the operator's to fix. */
function explainLoadError(err: unknown, model: string, path: string, present: boolean): Error {
  const message = (err as Error)?.message ?? String(err);
  const cause = (err as { cause?: { code?: string } })?.cause?.code ?? '';
  if (!present && /fetch failed|network|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|socket/i.test(`${message} ${cause}`)) {
    return new EmbedderUnavailableError(`could not download ${model} from the Hugging Face Hub into ${path} (${cause || message}); will try again`, { cause: err });
  }
  return new EmbedderConfigError(`cannot load the model ${model} from ${path}: ${message}`, { cause: err });
}
