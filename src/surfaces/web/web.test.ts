import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../testing/build-test-app.js';
import { defaultWebDist } from './dist-dir.js';

// Serving the built dashboard from a fake web/dist: the app at /, hashed assets, the SPA fallback, and
// that no route of another surface is shadowed.

const INDEX = '<!doctype html><html><head><script type="module" src="/assets/index-abc123.js"></script></head><body><div id="root"></div></body></html>';
const html = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };

describe('web app (built)', () => {
  let t: TestApp;
  let dist: string;
  beforeAll(async () => {
    dist = mkdtempSync(join(tmpdir(), 'cairn-web-dist-'));
    mkdirSync(join(dist, 'assets'));
    writeFileSync(join(dist, 'index.html'), INDEX);
    writeFileSync(join(dist, 'assets', 'index-abc123.js'), 'console.log("cairn");');
    writeFileSync(join(dist, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    writeFileSync(join(dist, 'notes.md'), 'not a type the server serves');
    t = await buildTestApp({ webDist: dist });
  });
  afterAll(async () => {
    await t.close();
    rmSync(dist, { recursive: true, force: true });
  });

  it('answers / with index.html, revalidated, under a strict CSP that forbids framing', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/', headers: html });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe(INDEX);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['cache-control']).toBe('no-cache');
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers['x-frame-options']).toBe('DENY');
  });

  it('serves hashed assets as immutable, and a missing one as a plain 404', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/assets/index-abc123.js' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('console.log("cairn");');
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const missing = await t.app.inject({ method: 'GET', url: '/assets/nope.js', headers: html });
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['content-type']).toMatch(/json/);
  });

  it('serves the files of known types at the root of dist (public/), and nothing else from there', async () => {
    const icon = await t.app.inject({ method: 'GET', url: '/favicon.svg' });
    expect(icon.statusCode).toBe(200);
    expect(icon.headers['content-type']).toMatch(/^image\/svg\+xml/);
    expect(icon.headers['cache-control']).toBe('public, max-age=3600');
    expect((await t.app.inject({ method: 'GET', url: '/notes.md' })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: '/index.html', headers: { accept: 'application/json' } })).statusCode).toBe(404);
  });

  it('falls back to index.html for client-side routes a browser navigates to', async () => {
    for (const url of ['/memories', '/keys', '/activity?app=app_1', '/admin/users']) {
      const res = await t.app.inject({ method: 'GET', url, headers: html });
      expect(res.statusCode, url).toBe(200);
      expect(res.body, url).toBe(INDEX);
      expect(res.headers['x-frame-options']).toBe('DENY');
    }
  });

  it('does not fall back for non-HTML requests, other methods, or the server’s own paths', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/memories', headers: { accept: 'application/json' } })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'POST', url: '/memories', headers: html })).statusCode).toBe(404);
    for (const url of ['/api/v1/nope', '/dashboard/api/v1/nope', '/mcp/nope', '/.well-known/nope', '/auth/nope']) {
      const res = await t.app.inject({ method: 'GET', url, headers: html });
      expect(res.body, url).not.toBe(INDEX);
    }
  });

  it('shadows none of the server’s own pages and endpoints', async () => {
    const login = await t.app.inject({ method: 'GET', url: '/login', headers: html });
    expect(login.statusCode).toBe(200);
    expect(login.body).not.toBe(INDEX);
    expect(login.body).toContain('<form');
    for (const url of ['/healthz', '/.well-known/oauth-authorization-server', '/.well-known/oauth-protected-resource/mcp', '/api/v1/openapi.json']) {
      const res = await t.app.inject({ method: 'GET', url, headers: html });
      expect(res.statusCode, url).toBe(200);
      expect(res.body, url).not.toBe(INDEX);
    }
    const api = await t.app.inject({ method: 'GET', url: '/dashboard/api/v1/me', headers: html });
    expect(api.statusCode).toBe(401);
    const mcp = await t.app.inject({ method: 'GET', url: '/mcp', headers: html });
    expect(mcp.body).not.toBe(INDEX);
  });
});

describe('web app (not built)', () => {
  let t: TestApp;
  let empty: string;
  beforeAll(async () => {
    empty = mkdtempSync(join(tmpdir(), 'cairn-web-empty-'));
    t = await buildTestApp({ webDist: join(empty, 'dist') });
  });
  afterAll(async () => {
    await t.close();
    rmSync(empty, { recursive: true, force: true });
  });

  it('answers / with a page that says to build, and the API still works', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/', headers: html });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('npm run build');
    expect((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/dashboard/api/v1/me' })).statusCode).toBe(401);
  });
});

describe('defaultWebDist', () => {
  it('is web/dist of the package, from src/ and from dist/ alike', () => {
    const root = process.cwd();
    expect(defaultWebDist(join(root, 'src', 'surfaces', 'web', 'dist-dir.ts'))).toBe(join(root, 'web', 'dist'));
    expect(defaultWebDist(join(root, 'dist', 'surfaces', 'web', 'dist-dir.js'))).toBe(join(root, 'web', 'dist'));
    expect(defaultWebDist()).toBe(join(root, 'web', 'dist'));
  });
});
