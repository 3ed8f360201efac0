import type { Embedder } from '../core/search/embedder.js';
import { VectorLength } from './dimensions.js';
import { EmbedderConfigError, EmbedderRequestError, EmbedderUnavailableError } from './errors.js';

export interface OpenAiCompatibleOptions {
  /** Base URL without a trailing slash (`http://127.0.0.1:11434/v1`); requests go to `${url}/embeddings`. */
  readonly url: string;
  readonly model: string;
  /** Sent as `Authorization: Bearer …`; never part of an error message or a log line. */
  readonly apiKey?: string;
  /** Sent as the request's `dimensions` and checked against every vector. */
  readonly dimensions?: number;
  /** Texts per request; longer inputs are split into several requests, in order. */
  readonly batchSize: number;
  /** Per request, body included. */
  readonly timeoutMs: number;
}

/** Statuses that mean "later": the server is busy, restarting or rate-limiting, not refusing this request. */
const RETRYABLE_STATUSES = new Set([408, 425, 429]);
/** Statuses that mean "not these texts" (too long, empty, too many); other texts may still work. */
const INPUT_STATUSES = new Set([400, 413, 422]);

/**
 * An `Embedder` over the OpenAI embeddings API (`POST /v1/embeddings`), which OpenAI, Ollama, vLLM,
 * LM Studio and most gateways speak. Errors are typed for the embedding worker: an unreachable, slow or
 * overloaded server (network errors, timeouts, 408/429/5xx) is `EmbedderUnavailableError`, retried later;
 * a refused key, unknown model or malformed answer is `EmbedderConfigError`; refused texts are
 * `EmbedderRequestError`.
 */
export class OpenAiCompatibleEmbedder implements Embedder {
  private readonly endpoint: string;
  private readonly length: VectorLength;

  constructor(private readonly options: OpenAiCompatibleOptions) {
    this.endpoint = `${options.url}/embeddings`;
    this.length = new VectorLength(options.model, options.dimensions, () => this.where());
  }

  /**
   * Configured, or learnt from the first answer. Before the server has ever answered (only possible
   * without CAIRN_EMBEDDER_DIMENSIONS) reading it throws `EmbedderUnavailableError`.
   */
  get dimensions(): number {
    return this.length.value;
  }

  get id(): string {
    return `openai:${this.options.model}/${this.dimensions}`;
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (let i = 0; i < texts.length; i += this.options.batchSize) {
      out.push(...(await this.request(texts.slice(i, i + this.options.batchSize))));
    }
    return out;
  }

  private async request(input: readonly string[]): Promise<Float32Array[]> {
    const { model, apiKey, dimensions, timeoutMs } = this.options;
    let body: unknown;
    try {
      const response = await fetch(this.endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          ...(apiKey !== undefined ? { authorization: `Bearer ${apiKey}` } : {}),
        },
        body: JSON.stringify({ model, input, encoding_format: 'float', ...(dimensions !== undefined ? { dimensions } : {}) }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (!response.ok) throw await this.httpError(response);
      const text = await response.text();
      try {
        body = JSON.parse(text);
      } catch {
        throw new EmbedderConfigError(`${this.where()} answered with something other than JSON; is CAIRN_EMBEDDER_URL the API base (ending in /v1)?`);
      }
    } catch (err) {
      if (err instanceof EmbedderConfigError || err instanceof EmbedderRequestError || err instanceof EmbedderUnavailableError) throw err;
      throw new EmbedderUnavailableError(`${this.where()} did not answer: ${networkReason(err, timeoutMs)}`, { cause: err });
    }
    return this.vectorsOf(body, input.length);
  }

  private vectorsOf(body: unknown, expected: number): Float32Array[] {
    const data = (body as { data?: unknown } | null)?.data;
    if (!Array.isArray(data) || data.length !== expected) {
      throw new EmbedderConfigError(
        `${this.where()} did not answer like an OpenAI embeddings API (expected data[] with ${expected} embedding${expected === 1 ? '' : 's'})`,
      );
    }
    // `index` says which input a vector belongs to; servers may answer out of order.
    const ordered = data.every((d) => typeof (d as { index?: unknown })?.index === 'number')
      ? [...data].sort((a, b) => (a as { index: number }).index - (b as { index: number }).index)
      : data;
    return ordered.map((d) => {
      const embedding = (d as { embedding?: unknown } | null)?.embedding;
      if (!Array.isArray(embedding) || embedding.length === 0 || !embedding.every((x) => typeof x === 'number' && Number.isFinite(x))) {
        throw new EmbedderConfigError(`${this.where()} returned an embedding that is not a list of numbers`);
      }
      this.length.check(embedding.length);
      return Float32Array.from(embedding as number[]);
    });
  }

  private async httpError(response: Response): Promise<Error> {
    const detail = this.scrub(await serverMessage(response));
    const status = `HTTP ${response.status} from ${this.where()}${detail ? `: ${detail}` : ''}`;
    if (RETRYABLE_STATUSES.has(response.status) || response.status >= 500) return new EmbedderUnavailableError(status);
    if (INPUT_STATUSES.has(response.status)) return new EmbedderRequestError(status);
    if (response.status === 401 || response.status === 403) {
      return new EmbedderConfigError(`${status}. The server refused the API key: check CAIRN_EMBEDDER_API_KEY`);
    }
    if (response.status === 404) {
      return new EmbedderConfigError(
        `${status}. Check CAIRN_EMBEDDER_URL (the API base, e.g. http://127.0.0.1:11434/v1) and CAIRN_EMBEDDER_MODEL (with Ollama: ollama pull ${this.options.model})`,
      );
    }
    return new EmbedderConfigError(status);
  }

  /** The endpoint as shown in messages: no credentials, no query string. */
  private where(): string {
    const u = new URL(this.endpoint);
    return `${u.protocol}//${u.host}${u.pathname}`;
  }

  /** A server may echo the key back in its error text (OpenAI masks it; not every gateway does). */
  private scrub(text: string): string {
    const key = this.options.apiKey;
    return key && key.length >= 4 ? text.split(key).join('[redacted]') : text;
  }
}

/** The server's own words for an error, from `{ error: { message } }`, `{ error: "…" }` or plain text; short. */
async function serverMessage(response: Response): Promise<string> {
  let text: string;
  try {
    text = await response.text();
  } catch {
    return '';
  }
  let message = text;
  try {
    const body = JSON.parse(text) as { error?: unknown; message?: unknown; detail?: unknown };
    const error = body.error;
    const candidate = typeof error === 'string' ? error : (error as { message?: unknown } | undefined)?.message ?? body.message ?? body.detail;
    if (typeof candidate === 'string') message = candidate;
  } catch {
    // not JSON: keep the text
  }
  message = message.replace(/\s+/g, ' ').trim();
  return message.length > 300 ? `${message.slice(0, 300)}…` : message;
}

function networkReason(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  return e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err);
}
