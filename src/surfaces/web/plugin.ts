import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { sendNotFound } from '../http-errors.js';

/**
 * The headers of every page of the app: scripts only from this origin (no inline script), no framing. Styles
 * may be inline because component libraries inject them; the API the page talks to is same-origin.
 */
export const APP_PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; '),
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
};

/** Paths that belong to the server, never to the app: an unknown path under them is a plain 404. */
const SERVER_PATHS = ['/api', '/mcp', '/auth', '/dashboard/api', '/.well-known', '/assets', '/authorize', '/token', '/register', '/interaction', '/healthz', '/readyz', '/login', '/signup', '/setup', '/logout'];

function isServerPath(path: string): boolean {
  return SERVER_PATHS.some((p) => path === p || path.startsWith(`${p}/`));
}

/** Types of the files a Vite build copies from public/ to the root of dist (favicons, robots.txt, a manifest). */
const ROOT_FILE_TYPES: Readonly<Record<string, string>> = {
  '.ico': 'image/x-icon',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
  '.json': 'application/json',
};

/** The files at the root of dist besides index.html that may be served: known types, names that are no server path. */
function rootFiles(distDir: string): { name: string; type: string; body: Buffer }[] {
  return readdirSync(distDir)
    .filter((name) => name !== 'index.html' && !name.startsWith('.') && ROOT_FILE_TYPES[extname(name)] !== undefined && !isServerPath(`/${name}`))
    .filter((name) => statSync(join(distDir, name)).isFile())
    .map((name) => ({ name, type: ROOT_FILE_TYPES[extname(name)]!, body: readFileSync(join(distDir, name)) }));
}

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Cairn</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; padding: 0 1rem; line-height: 1.5">
<h1>Cairn is running</h1>
<p>The web dashboard has not been built in this checkout (web/dist is missing). Run <code>npm run build</code> and restart the server.</p>
<p>The APIs work without it: MCP at <code>/mcp</code>, REST at <code>/api/v1</code>; <a href="/login">sign in</a>.</p>
</body></html>
`;

export interface WebApp {
  /** Serves `/`, `/assets/*`; register at the root. */
  readonly plugin: FastifyPluginAsync;
  /** The root not-found handler: the app's index.html for a browser's GET of a client-side route, else the JSON 404. */
  readonly notFound: (request: FastifyRequest, reply: FastifyReply) => FastifyReply;
  /** False when web/dist has no index.html (a source checkout that was never built). */
  readonly built: boolean;
}

/**
 * The dashboard's static files from `distDir` (web/dist): hashed build files under /assets (cached for a
 * year), and index.html (revalidated every time) for `/` and for any other browser navigation no route
 * answers, so client-side routes such as /memories survive a reload. It registers no route that another
 * surface has, and falls back only outside the server's own paths.
 */
export function webApp(distDir: string): WebApp {
  const indexPath = join(distDir, 'index.html');
  const built = existsSync(indexPath);
  const index = built ? readFileSync(indexPath) : Buffer.from(NOT_BUILT);

  const sendIndex = (reply: FastifyReply): FastifyReply =>
    reply
      .code(200)
      .headers(APP_PAGE_HEADERS)
      .header('cache-control', 'no-cache')
      .type('text/html; charset=utf-8')
      .send(index);

  const plugin: FastifyPluginAsync = async (app) => {
    app.get('/', async (_request, reply) => sendIndex(reply));
    // Files from the app's public/ folder (favicon.svg, robots.txt): not hashed, so cached for an hour only.
    for (const file of built ? rootFiles(distDir) : []) {
      app.get(`/${file.name}`, async (_request, reply) =>
        reply.header('cache-control', 'public, max-age=3600').header('x-content-type-options', 'nosniff').type(file.type).send(file.body),
      );
    }
    const assets = join(distDir, 'assets');
    if (built && existsSync(assets)) {
      await app.register(fastifyStatic, {
        root: assets,
        prefix: '/assets/',
        index: false,
        list: false,
        dotfiles: 'deny',
        cacheControl: false,
        setHeaders: (res) => {
          res.header('cache-control', 'public, max-age=31536000, immutable');
          res.header('x-content-type-options', 'nosniff');
        },
      });
    }
  };

  const notFound = (request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const path = request.url.split('?')[0]!;
    const wantsPage = (request.method === 'GET' || request.method === 'HEAD') && String(request.headers.accept ?? '').includes('text/html');
    if (wantsPage && !isServerPath(path)) return sendIndex(reply);
    return sendNotFound(request, reply);
  };

  return { plugin, notFound, built };
}
