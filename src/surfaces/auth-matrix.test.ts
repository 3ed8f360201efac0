import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../testing/build-test-app.js';
import {
  API_KEY_CREDENTIALS,
  OAUTH_CREDENTIALS,
  runSurfaceAuthSuite,
  SESSION_CREDENTIALS,
  staleCases,
  SURFACE_ROUTES,
  uncoveredRoutes,
  uncoveredTools,
} from '../testing/surface-auth.suite.js';
import { TOOLS } from './mcp/tools/index.js';

// Every route of the REST, MCP and dashboard surfaces × every kind of credential (API keys, OAuth access
// tokens, browser sessions), one pinned status per cell. Adding a route, a tool or a credential kind without a
// row here fails this file. The API-key cells are unchanged by OAuth and by the dashboard: that is the proof
// adding a way in changed no other. Session cookies work on /dashboard/api only; keys and tokens never do there.

runSurfaceAuthSuite({ routes: SURFACE_ROUTES, credentials: [...API_KEY_CREDENTIALS, ...OAUTH_CREDENTIALS, ...SESSION_CREDENTIALS] });

describe('auth matrix coverage', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(async () => t.close());

  it('sees the routes the app registers (the coverage check is not looking at an empty list)', () => {
    const seen = t.routes.map((r) => `${r.method} ${r.url}`);
    expect(seen).toEqual(expect.arrayContaining(['POST /api/v1/memories', 'DELETE /api/v1/keys/:id', 'POST /mcp', 'GET /mcp', 'GET /dashboard/api/v1/sessions']));
  });

  it('has a row for every registered route under /api/v1, /mcp and /dashboard/api', () => {
    expect(uncoveredRoutes(t.routes, SURFACE_ROUTES)).toEqual([]);
  });

  it('has no row for a route that is not registered', () => {
    expect(staleCases(t.routes, SURFACE_ROUTES)).toEqual([]);
  });

  it('calls every MCP tool in both protocol eras', () => {
    expect(uncoveredTools(TOOLS.map((tool) => tool.name), SURFACE_ROUTES)).toEqual([]);
  });

  it('reports a route or tool added without a row', () => {
    const added = [
      ...t.routes,
      { method: 'POST', url: '/api/v1/memories/import' },
      { method: 'GET', url: '/mcp/sse' },
      { method: 'GET', url: '/healthz/deep' },
      { method: 'POST', url: '/dashboard/api/v1/memories/export' },
    ];
    expect(uncoveredRoutes(added, SURFACE_ROUTES)).toEqual(['POST /api/v1/memories/import', 'GET /mcp/sse', 'POST /dashboard/api/v1/memories/export']);
    expect(uncoveredTools(['add_memories', 'export_memories'], SURFACE_ROUTES)).toEqual(['export_memories [2025-06-18]', 'export_memories [2026-07-28]']);
  });

  it('leaves HEAD /mcp unrouted: MCP defines no HEAD, and the automatic one answered 500', async () => {
    const key = (await t.createKey(await t.createUser('head@example.com'))).key;
    const res = await t.call('HEAD', '/mcp', { key });
    expect(res.statusCode).toBe(404);
  });
});
