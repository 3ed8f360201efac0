import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../app.js';
import { createLogger } from '../../logging.js';
import { openRuntime } from '../../runtime.js';
import { buildTestApp, TEST_SECRET, type TestApp } from '../../testing/build-test-app.js';

// Every malformed request gets the one JSON envelope with a status that says what is wrong, and writes nothing.

/** The shape of the ids Fastify is given in app.ts (genReqId), which is also the `requestId` log field. */
const REQUEST_ID = /^req_[0-9A-Za-z]{16}$/;

let t: TestApp;
let key: string;

beforeEach(async () => {
  t = await buildTestApp({ env: { CAIRN_BODY_LIMIT: '2kb' } });
  const owner = await t.createUser('ada@example.com');
  key = (await t.createKey(owner)).key;
});
afterEach(async () => t.close());

function expectEnvelope(res: LightMyRequestResponse, status: number, code: string): { code: string; message: string; requestId: string; details?: Record<string, unknown> } {
  expect(res.statusCode).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  const body = res.json() as { error: { code: string; message: string; requestId: string } };
  expect(Object.keys(body)).toEqual(['error']);
  expect(body.error).toMatchObject({ code, message: expect.any(String) });
  expect(body.error.message.length).toBeGreaterThan(0);
  expect(body.error.requestId).toMatch(REQUEST_ID);
  return body.error;
}

async function memoryCount(): Promise<number> {
  const counts = await t.runtime.storage.db.selectFrom('memories').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(counts.n);
}

function raw(method: 'POST' | 'PATCH', url: string, payload: string | Buffer, contentType: string) {
  return t.app.inject({ method, url, payload, headers: { authorization: `Bearer ${key}`, 'content-type': contentType } });
}

describe('REST bad input: malformed bodies', () => {
  it('answers invalid JSON with 400 INVALID_INPUT', async () => {
    const res = await raw('POST', '/api/v1/memories', '{"content": "unterminated', 'application/json');
    const error = expectEnvelope(res, 400, 'INVALID_INPUT');
    expect(error.message).toContain('JSON');
    expect(await memoryCount()).toBe(0);
  });

  it('answers an empty JSON body with 400', async () => {
    const res = await raw('POST', '/api/v1/memories', '', 'application/json');
    expectEnvelope(res, 400, 'INVALID_INPUT');
    expect(await memoryCount()).toBe(0);
  });

  it('names the field with the wrong type: content given as a number', async () => {
    const res = await t.call('POST', '/api/v1/memories', { key, body: { content: 42 } });
    const error = expectEnvelope(res, 400, 'INVALID_INPUT');
    expect(error.message).toContain('content');
    expect(error.details).toMatchObject({ issues: [expect.objectContaining({ field: 'body.content' })] });
    expect(await memoryCount()).toBe(0);
  });

  it('names nested fields: metadata given as an array, a batch item without content', async () => {
    const meta = await t.call('POST', '/api/v1/memories', { key, body: { content: 'x', metadata: [1, 2] } });
    expect(expectEnvelope(meta, 400, 'INVALID_INPUT').message).toContain('metadata');
    const item = await t.call('POST', '/api/v1/memories', { key, body: { memories: [{ content: 'fine' }, { text: 'wrong field' }] } });
    expect(expectEnvelope(item, 400, 'INVALID_INPUT').message).toContain('memories.1.content');
    expect(await memoryCount()).toBe(0);
  });

  it('names query-string fields: limit given as text', async () => {
    const res = await t.call('GET', '/api/v1/memories?limit=lots', { key });
    expect(expectEnvelope(res, 400, 'INVALID_INPUT').message).toContain('limit');
  });

  it('a JSON array or string instead of an object is a 400, not a 500', async () => {
    for (const payload of ['[]', '"hello"', 'null', '42']) {
      const res = await raw('POST', '/api/v1/memories', payload, 'application/json');
      expectEnvelope(res, 400, 'INVALID_INPUT');
    }
    expect(await memoryCount()).toBe(0);
  });
});

describe('REST bad input: size, media type, routes', () => {
  it('answers a body over CAIRN_BODY_LIMIT with 413 in the JSON envelope, not HTML', async () => {
    const res = await t.call('POST', '/api/v1/memories', { key, body: { content: 'x'.repeat(3000) } });
    const error = expectEnvelope(res, 413, 'PAYLOAD_TOO_LARGE');
    expect(res.body).not.toMatch(/<html/i);
    expect(error.message.length).toBeGreaterThan(0);
    expect(await memoryCount()).toBe(0);
  });

  it('accepts a body just under the limit (the limit is the configured one, not the default)', async () => {
    const res = await t.call('POST', '/api/v1/memories', { key, body: { content: 'x'.repeat(1500) } });
    expect(res.statusCode).toBe(201);
    expect(await memoryCount()).toBe(1);
  });

  it('answers an unsupported content type with 415', async () => {
    for (const contentType of ['text/xml', 'application/x-www-form-urlencoded']) {
      const res = await raw('POST', '/api/v1/memories', 'content=hello', contentType);
      expectEnvelope(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
    }
    expect(await memoryCount()).toBe(0);
  });

  it('answers an unknown route with 404 in the envelope, under /api and elsewhere', async () => {
    for (const url of ['/api/v1/nothing-here', '/api/v2/memories', '/nothing-here']) {
      const res = await t.call('GET', url, { key });
      expect(expectEnvelope(res, 404, 'NOT_FOUND').message).toContain(url);
    }
  });

  it('answers a known path with the wrong method with 404 in the envelope, writing nothing', async () => {
    const res = await t.call('PUT', '/api/v1/memories', { key, body: { content: 'x' } });
    expect(expectEnvelope(res, 404, 'NOT_FOUND').message).toBe('No route PUT /api/v1/memories.');
    expect(await memoryCount()).toBe(0);
  });

  it('gives every error response its own request id', async () => {
    const a = (await t.call('GET', '/api/v1/nothing', { key })).json() as { error: { requestId: string } };
    const b = (await t.call('GET', '/api/v1/nothing', { key })).json() as { error: { requestId: string } };
    expect(a.error.requestId).not.toBe(b.error.requestId);
  });
});

describe('REST bad input: the requestId leads to the log', () => {
  it('logs the failed request under the requestId the caller was given', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    const dataDir = mkdtempSync(join(tmpdir(), 'cairn-log-'));
    const logger = createLogger('info', sink);
    const runtime = await openRuntime({ env: { CAIRN_DATA_DIR: dataDir, CAIRN_DATABASE_URL: 'sqlite::memory:', CAIRN_SECRET: TEST_SECRET }, migrate: 'always', logger });
    const app = await buildApp({ config: runtime.config, services: runtime.services, logger });
    try {
      const owner = await runtime.services.users.create({ email: 'ada@example.com' });
      const { key: logKey } = await runtime.services.apiKeys.create(
        { userId: owner.user.id, workspaceId: owner.workspace.id },
        { name: 'log-test', scopes: ['memories:write'] },
        { kind: 'cli', credentialId: null },
      );
      const res = await app.inject({ method: 'POST', url: '/api/v1/memories', payload: '{oops', headers: { 'content-type': 'application/json', authorization: `Bearer ${logKey}` } });
      expect(res.statusCode).toBe(400);
      const { requestId } = (res.json() as { error: { requestId: string } }).error;
      expect(requestId).toMatch(REQUEST_ID);
      const logged = lines.filter((l) => l.requestId === requestId);
      expect(logged.length).toBeGreaterThan(0);
      expect(logged.some((l) => (l.res as { statusCode?: number } | undefined)?.statusCode === res.statusCode)).toBe(true);
    } finally {
      await app.close();
      await runtime.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
