import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A client-side credential injector for the conformance suite, which cannot send a bearer token: it listens
 * on 127.0.0.1, adds `Authorization: Bearer <token>` to every request and forwards everything else as it
 * came (method, path, every other header in its original order and spelling, body bytes, and the answer's
 * status, headers and body streamed back). Host and Origin are passed through untouched, so Cairn's own
 * DNS-rebinding checks still see what the suite sent. This is what mcp-remote does for Claude Desktop; it
 * gives the suite a credential, it does not relax anything on Cairn's side.
 */
export interface BearerProxy {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** How many requests were forwarded (a smoke check that the suite really went through the proxy). */
  readonly forwarded: () => number;
  close(): Promise<void>;
}

export interface BearerProxyOptions {
  /** Where Cairn listens, e.g. `http://127.0.0.1:43123`. */
  readonly upstream: string;
  readonly token: string;
  /** Port to listen on; 0 (the default) picks a free one. */
  readonly port?: number;
}

/**
 * Hop-by-hop headers (RFC 9110 §7.6.1) belong to one connection, not to the message: Node sets its own on
 * each side. Everything else is forwarded.
 */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade', 'transfer-encoding']);

export async function startBearerProxy(options: BearerProxyOptions): Promise<BearerProxy> {
  const upstream = new URL(options.upstream);
  let forwarded = 0;
  const server: Server = createServer((incoming, outgoing) => {
    forwarded++;
    forward(incoming, outgoing, upstream, options.token);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    forwarded: () => forwarded,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function forward(incoming: IncomingMessage, outgoing: ServerResponse, upstream: URL, token: string): void {
  const headers = withBearer(incoming.rawHeaders, token);
  const upstreamRequest = httpRequest(
    {
      host: upstream.hostname,
      port: upstream.port,
      method: incoming.method,
      path: incoming.url,
      // An array keeps each header's spelling, order and repetitions; Host is among them, unchanged.
      headers,
      // A fresh connection per request: nothing from one suite request can leak into the next one's socket.
      agent: false,
    },
    (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.statusMessage, withoutHopByHop(answer.rawHeaders));
      // Flush the head at once: an SSE stream's first event may be a while coming.
      outgoing.flushHeaders();
      answer.pipe(outgoing);
    },
  );
  upstreamRequest.on('error', (err) => {
    if (outgoing.headersSent) {
      outgoing.destroy(err);
      return;
    }
    outgoing.writeHead(502, { 'content-type': 'text/plain' }).end(`bearer proxy: upstream failed: ${err.message}\n`);
  });
  // The suite may drop a stream (SSE) early; stop the upstream request with it.
  outgoing.on('close', () => {
    if (!outgoing.writableFinished) upstreamRequest.destroy();
  });
  incoming.pipe(upstreamRequest);
}

/** The raw header list with any Authorization the client sent replaced by the bearer token. */
function withBearer(raw: readonly string[], token: string): string[] {
  const pairs = withoutHopByHop(raw, 'authorization');
  pairs.push('Authorization', `Bearer ${token}`);
  return pairs;
}

/** `raw` is Node's flat [name, value, name, value, …] list. */
function withoutHopByHop(raw: readonly string[], alsoDrop?: string): string[] {
  const pairs: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const lower = raw[i]!.toLowerCase();
    if (HOP_BY_HOP.has(lower) || lower === alsoDrop) continue;
    pairs.push(raw[i]!, raw[i + 1]!);
  }
  return pairs;
}
