import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../testing/build-test-app.js';
import { authenticatedRoutes } from './routes.js';

interface Operation {
  requestBody?: { content: Record<string, { schema: object }> };
  parameters?: { in: string; name: string }[];
  responses: Record<string, { content?: Record<string, { schema: object }> }>;
}
interface OpenApiDoc {
  openapi: string;
  servers: { url: string }[];
  security: Record<string, string[]>[];
  components: { securitySchemes: Record<string, { type: string; scheme?: string }>; schemas: Record<string, object> };
  paths: Record<string, Record<string, Operation>>;
}

/** The REST contract: every route a client may call, as documented (paths relative to the server URL, …/api). */
const REST_ROUTES = [
  'POST /v1/memories',
  'GET /v1/memories',
  'POST /v1/memories/search',
  'POST /v1/memories/bulk-delete',
  'GET /v1/memories/{id}',
  'PATCH /v1/memories/{id}',
  'DELETE /v1/memories/{id}',
  'GET /v1/memories/{id}/history',
  'GET /v1/export',
  'POST /v1/import',
  'GET /v1/keys',
  'POST /v1/keys',
  'DELETE /v1/keys/{id}',
  'POST /v1/keys/{id}/rotate',
  'GET /v1/connections',
  'DELETE /v1/connections/{id}',
  'GET /v1/oauth-clients',
  'POST /v1/oauth-clients',
  'POST /v1/oauth-clients/{id}/rotate-secret',
  'DELETE /v1/oauth-clients/{id}',
  'GET /v1/me',
].sort();

let t: TestApp;
let doc: OpenApiDoc;
let headers: Record<string, string | string[] | number | undefined>;

beforeAll(async () => {
  t = await buildTestApp();
  const res = await t.call('GET', '/api/v1/openapi.json');
  expect(res.statusCode).toBe(200);
  headers = res.headers;
  doc = res.json() as OpenApiDoc;
});
afterAll(async () => t.close());

function operations(): [string, Operation][] {
  return Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => [`${method.toUpperCase()} ${path}`, op] as [string, Operation]));
}

describe('GET /api/v1/openapi.json', () => {
  it('is served as JSON without a credential, and is OpenAPI 3.1', () => {
    expect(headers['content-type']).toMatch(/^application\/json/);
    expect(doc.openapi).toMatch(/^3\.1\./);
    expect(doc.servers[0]!.url).toMatch(/\/api$/);
  });

  it('lists exactly the REST routes with their methods', () => {
    expect(operations().map(([id]) => id).sort()).toEqual(REST_ROUTES);
    // A route registered without being added above (or hidden from the document) makes these differ.
    expect(operations()).toHaveLength(authenticatedRoutes.length);
  });

  it('documents only routes that exist: each answers 401 without a key, not 404', async () => {
    for (const id of REST_ROUTES) {
      const [method, path] = id.split(' ') as [string, string];
      const url = `/api${path.replace('{id}', 'mem_x')}`;
      const res = await t.call(method, url, method === 'GET' || method === 'DELETE' ? {} : { body: {} });
      expect(res.statusCode, id).toBe(401);
    }
  });

  it('leaves out /mcp, the health routes and the document itself', () => {
    const paths = Object.keys(doc.paths);
    for (const hidden of ['mcp', 'healthz', 'readyz', 'openapi']) expect(paths.filter((p) => p.includes(hidden))).toEqual([]);
  });

  it('gives every operation a JSON success response schema and the error envelope', () => {
    for (const [id, op] of operations()) {
      const success = Object.keys(op.responses).filter((s) => s.startsWith('2'));
      expect(success.length, id).toBeGreaterThan(0);
      for (const status of success) {
        if (status === '204') continue;
        expect(op.responses[status]!.content?.['application/json']?.schema, `${id} ${status}`).toBeDefined();
      }
      for (const status of ['400', '401', '403']) {
        const schema = JSON.stringify(op.responses[status]?.content?.['application/json']?.schema ?? {});
        expect(schema, `${id} ${status}`).toMatch(/"requestId"|#\/components\/schemas\/Error/);
      }
    }
  });

  it('gives every operation that takes a body its request schema, naming the fields', () => {
    const withBody = operations().filter(([id]) => id.startsWith('POST') || id.startsWith('PATCH'));
    for (const [id, op] of withBody) expect(op.requestBody?.content['application/json']?.schema, id).toBeDefined();
    const create = doc.paths['/v1/memories']!.post!;
    expect(JSON.stringify(create.requestBody!.content['application/json']!.schema)).toContain('"content"');
    const search = doc.paths['/v1/memories/search']!.post!;
    expect(JSON.stringify(search.requestBody!.content['application/json']!.schema)).toContain('"query"');
  });

  it('documents path and query parameters', () => {
    expect(doc.paths['/v1/memories/{id}']!.get!.parameters).toEqual(expect.arrayContaining([expect.objectContaining({ in: 'path', name: 'id' })]));
    const listParams = doc.paths['/v1/memories']!.get!.parameters!.map((p) => `${p.in}:${p.name}`);
    expect(listParams).toEqual(expect.arrayContaining(['query:cursor', 'query:limit', 'query:app', 'query:state', 'query:since', 'query:until']));
  });

  it('documents the 409 of an edit that collides with another memory', () => {
    expect(doc.paths['/v1/memories/{id}']!.patch!.responses['409']).toBeDefined();
  });

  it('declares the bearer security scheme and requires it everywhere', () => {
    const schemes = Object.entries(doc.components.securitySchemes);
    expect(schemes).toHaveLength(1);
    const [name, scheme] = schemes[0]!;
    expect(scheme).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.security).toEqual([{ [name]: [] }]);
  });
});
