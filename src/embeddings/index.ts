import type { EmbedderConfig } from '../config/schema.js';
import type { Embedder } from '../core/search/embedder.js';
import { EmbedderConfigError, EmbedderUnavailableError } from './errors.js';
import { LocalTransformersEmbedder } from './local-transformers.js';
import { OpenAiCompatibleEmbedder } from './openai-compatible.js';

export { EmbedderConfigError, EmbedderRequestError, EmbedderUnavailableError } from './errors.js';
export { LocalTransformersEmbedder } from './local-transformers.js';
export { OpenAiCompatibleEmbedder } from './openai-compatible.js';

/**
 * How the configured embedder is doing. `unknown`: it has not answered yet (a model still loading or
 * downloading); `unreachable`: down, slow or overloaded, retried; `misconfigured`: it refused in a way only
 * a configuration change fixes.
 */
export type EmbedderState = 'unknown' | 'ready' | 'unreachable' | 'misconfigured';

export type EmbedderStatus =
  | { readonly kind: 'none' }
  | {
      readonly kind: 'openai' | 'local';
      readonly model: string;
      /** The endpoint (no credentials) or the model directory. */
      readonly where: string;
      readonly state: EmbedderState;
      readonly dimensions?: number;
      /** Why it is not `ready`, in words for the operator. Never contains the API key. */
      readonly detail?: string;
    };

/** What this module logs; pino's `Logger` fits. */
export interface EmbedderLog {
  info(detail: object, message: string): void;
  warn(detail: object, message: string): void;
}

export interface CreateEmbedderOptions {
  /** How long start-up waits for the provider's first answer before going on lexical-only (it keeps trying). */
  readonly probeTimeoutMs?: number;
  /** After the provider was found unreachable, how long calls fail fast instead of waiting on it again. */
  readonly cooldownMs?: number;
  readonly now?: () => number;
  /** Passed to the local provider (tests). */
  readonly importTransformers?: () => Promise<unknown>;
}

const PROBE_TEXT = 'Cairn embedder probe';
/** A remote API answers a one-word request in well under this, or is effectively down for start-up. */
const OPENAI_PROBE_TIMEOUT_MS = 5000;
/** Loading a local ONNX model from disk takes seconds; a download can take much longer and goes on in the background. */
const LOCAL_PROBE_TIMEOUT_MS = 60_000;
const COOLDOWN_MS = 5000;

/**
 * The configured provider, wrapped with its health: every call updates the state, each change of state is
 * logged once (not once per failed call), and while the provider is known to be unreachable calls fail
 * fast for a few seconds, so searches fall back to lexical-only at once instead of each waiting for a
 * timeout.
 */
export class ManagedEmbedder implements Embedder {
  private state: EmbedderState = 'unknown';
  private detail: string | undefined;
  private retryAt = 0;

  constructor(
    private readonly inner: Embedder & { close?(): Promise<void> },
    private readonly describe: { readonly kind: 'openai' | 'local'; readonly model: string; readonly where: string },
    private readonly log: EmbedderLog,
    private readonly options: CreateEmbedderOptions = {},
  ) {}

  /** `EmbedderUnavailableError` while the vector length is still unknown (see `VectorLength`). */
  get id(): string {
    return this.inner.id;
  }

  get dimensions(): number {
    return this.inner.dimensions;
  }

  status(): EmbedderStatus {
    return {
      ...this.describe,
      state: this.state,
      ...(this.state === 'ready' ? { dimensions: this.inner.dimensions } : {}),
      ...(this.detail !== undefined && this.state !== 'ready' ? { detail: this.detail } : {}),
    };
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    if (this.state === 'unreachable' && this.now() < this.retryAt) {
      throw new EmbedderUnavailableError(`${this.detail ?? 'the embedder is unreachable'} (will try again shortly)`);
    }
    return this.track(this.inner.embed(texts));
  }

  /**
   * Embeds one short text to learn whether the provider answers (and its vector length), waiting at most
   * `timeoutMs`; past that the attempt goes on and updates the state when it settles.
   */
  async probe(timeoutMs: number): Promise<EmbedderStatus> {
    const attempt = this.track(this.inner.embed([PROBE_TEXT]));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
      timer.unref();
    });
    await Promise.race([attempt.then(() => undefined, () => undefined), timeout]);
    clearTimeout(timer);
    if (this.state === 'unknown') this.detail = `no answer yet after ${timeoutMs} ms (still ${this.describe.kind === 'local' ? 'loading' : 'waiting'})`;
    return this.status();
  }

  async close(): Promise<void> {
    await this.inner.close?.();
  }

  private async track(call: Promise<Float32Array[]>): Promise<Float32Array[]> {
    try {
      const vectors = await call;
      this.enter('ready', undefined);
      return vectors;
    } catch (err) {
      if (err instanceof EmbedderUnavailableError) {
        this.retryAt = this.now() + (this.options.cooldownMs ?? COOLDOWN_MS);
        this.enter('unreachable', err.message);
      } else if (err instanceof EmbedderConfigError) {
        this.enter('misconfigured', err.message);
      }
      // Refused texts (EmbedderRequestError) say nothing about the provider's health.
      throw err;
    }
  }

  private enter(state: EmbedderState, detail: string | undefined): void {
    const previous = this.state;
    const previousDetail = this.detail;
    this.state = state;
    this.detail = detail;
    if (state === previous && (state === 'ready' || detail === previousDetail)) return;
    const { kind, model } = this.describe;
    const context = { embedder: kind, model };
    if (state === 'ready') {
      const dimensions = this.inner.dimensions;
      this.log.info(
        { ...context, dimensions },
        previous === 'unknown' ? `semantic search on: ${kind} embedder ${model} (${dimensions} dimensions)` : `embedder ${model} answers again; semantic search resumed`,
      );
    } else if (state === 'unreachable' && previous !== 'unreachable') {
      this.log.warn(
        { ...context, reason: detail },
        `embedder ${model} is unreachable (${detail}); searching lexical-only until it answers. New memories are queued and embedded once it does`,
      );
    } else if (state === 'misconfigured') {
      this.log.warn({ ...context, reason: detail }, `embedder ${model} is misconfigured: ${detail}. Searching lexical-only; fix the configuration and restart Cairn`);
    }
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }
}

/**
 * The embedder the configuration asks for, probed once: with none configured it logs once that search is
 * lexical-only and returns `undefined`. A provider that is unreachable at start is still returned, with
 * one warning: search stays lexical-only and new memories are queued until it answers. A provider that
 * refuses its configuration (unknown model, rejected key, missing package or model files) is logged and
 * left out, as fixing it needs a restart anyway.
 */
export async function createEmbedder(config: EmbedderConfig, log: EmbedderLog, options: CreateEmbedderOptions = {}): Promise<ManagedEmbedder | undefined> {
  if (config.kind === 'none') {
    log.info({ embedder: 'none' }, 'lexical-only search (no embedder configured)');
    return undefined;
  }
  const embedder = buildEmbedder(config, log, options);
  const status = await embedder.probe(options.probeTimeoutMs ?? (config.kind === 'local' ? LOCAL_PROBE_TIMEOUT_MS : OPENAI_PROBE_TIMEOUT_MS));
  if (status.kind !== 'none' && status.state === 'misconfigured') {
    await embedder.close();
    return undefined;
  }
  if (status.kind !== 'none' && status.state === 'unknown') {
    log.warn({ embedder: config.kind, model: config.model }, `embedder ${config.model} has not answered yet; searching lexical-only until it does`);
  }
  return embedder;
}

/**
 * For `cairn doctor`: what the configured embedder is and whether it answers now. Read-only: a local model
 * that is not on disk is reported, never downloaded.
 */
export async function probeEmbedder(config: EmbedderConfig, options: CreateEmbedderOptions = {}): Promise<EmbedderStatus> {
  if (config.kind === 'none') return { kind: 'none' };
  const silent: EmbedderLog = { info() {}, warn() {} };
  const readOnly = config.kind === 'local' ? { ...config, allowDownload: false } : config;
  const embedder = buildEmbedder(readOnly, silent, options);
  try {
    const status = await embedder.probe(options.probeTimeoutMs ?? (config.kind === 'local' ? LOCAL_PROBE_TIMEOUT_MS : OPENAI_PROBE_TIMEOUT_MS));
    if (config.kind === 'local' && config.allowDownload && status.kind === 'local' && status.state === 'misconfigured' && /^no model at /.test(status.detail ?? '')) {
      return { ...status, state: 'unknown', detail: `not downloaded yet; the first start downloads it into ${status.where}` };
    }
    return status;
  } finally {
    await embedder.close();
  }
}

function buildEmbedder(config: Exclude<EmbedderConfig, { kind: 'none' }>, log: EmbedderLog, options: CreateEmbedderOptions): ManagedEmbedder {
  if (config.kind === 'openai') {
    const where = `${config.url.replace(/\/\/[^@/]*@/, '//')}/embeddings`;
    return new ManagedEmbedder(new OpenAiCompatibleEmbedder(config), { kind: 'openai', model: config.model, where }, log, options);
  }
  const local = new LocalTransformersEmbedder({ ...config, ...(options.importTransformers ? { importTransformers: options.importTransformers } : {}) });
  return new ManagedEmbedder(local, { kind: 'local', model: config.model, where: local.modelPath() }, log, options);
}
