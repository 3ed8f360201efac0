import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  readonly path: string;
  readonly authorization: string | undefined;
  readonly body: { model: string; input: string[]; dimensions?: number; encoding_format?: string };
}

export interface FakeOpenAiServer {
  /** Base URL, like `http://127.0.0.1:PORT/v1`. */
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Makes every following request answer with this status (and an OpenAI-style error body). */
  failWith(status: number | undefined, message?: string): void;
  close(): Promise<void>;
}

export interface FakeOpenAiOptions {
  /** When set, requests without `Authorization: Bearer <apiKey>` get 401 with a message echoing the key sent. */
  readonly apiKey?: string;
  /** Always answer with vectors of this length, whatever the request asks for. */
  readonly dimensions?: number;
  /** How a text becomes a vector (default `vectorOf`); hybrid-search tests pass the concept embedder's. */
  readonly embed?: (text: string, dims: number) => ArrayLike<number>;
}

/**
 * A real HTTP server on 127.0.0.1 speaking the OpenAI embeddings API, for tests. Its vectors are a
 * deterministic function of the text. Model names choose behaviours: `slow` answers after 2 s, `html`
 * answers with a web page, `unknown` is 404 as Ollama answers for a model it has not pulled, `short`
 * returns one vector too few, and it answers in reverse `index` order to prove the client reorders.
 */
export async function startFakeOpenAiServer(options: FakeOpenAiOptions = {}): Promise<FakeOpenAiServer> {
  const requests: RecordedRequest[] = [];
  let failure: { status: number; message: string } | undefined;
  const server: Server = createServer(async (req, res) => {
    const raw = await readBody(req);
    const send = (status: number, body: unknown, type = 'application/json') => {
      res.writeHead(status, { 'content-type': type });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    if (req.method !== 'POST' || req.url !== '/v1/embeddings') return send(404, { error: { message: `no route ${req.method} ${req.url}` } });
    const body = JSON.parse(raw) as RecordedRequest['body'];
    requests.push({ path: req.url, authorization: req.headers.authorization, body });
    if (options.apiKey !== undefined && req.headers.authorization !== `Bearer ${options.apiKey}`) {
      const sent = req.headers.authorization?.replace(/^Bearer /, '') ?? '';
      return send(401, { error: { message: `Incorrect API key provided: ${sent}`, type: 'invalid_request_error' } });
    }
    if (failure) return send(failure.status, { error: { message: failure.message } });
    if (body.model === 'unknown') return send(404, { error: `model "${body.model}" not found, try pulling it first` });
    if (body.model === 'html') return send(200, '<html><body>Welcome to nginx!</body></html>', 'text/html');
    if (body.model === 'slow') await new Promise((r) => setTimeout(r, 2000));
    // A fixed `dimensions` option plays a server that ignores the request's `dimensions`.
    const dims = options.dimensions ?? body.dimensions ?? 8;
    const inputs = body.model === 'short' ? body.input.slice(1) : body.input;
    const embed = options.embed ?? vectorOf;
    const data = inputs.map((text, index) => ({ object: 'embedding', index, embedding: Array.from(embed(text, dims)) })).reverse();
    send(200, { object: 'list', data, model: body.model, usage: { prompt_tokens: 1, total_tokens: 1 } });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    failWith(status, message = 'simulated failure') {
      failure = status === undefined ? undefined : { status, message };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The fake's embedding of `text`: deterministic, different for different texts, not normalised. */
export function vectorOf(text: string, dims: number): number[] {
  const v = Array.from({ length: dims }, () => 0);
  for (let i = 0; i < text.length; i++) v[(text.charCodeAt(i) * 31 + i) % dims]! += 1 + (i % 3);
  return v;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** A URL on which nothing listens: a port just released by a server that was bound to it. */
export async function closedUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/v1`;
}
