import Fastify, { type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AppError, insufficientScope, notFound } from './app-error.js';
import { ERROR_CODES, type ErrorCode } from './codes.js';
import { toAppError, toHttpError, type HttpError } from './to-http.js';
import { toJsonRpcHttpError, toToolFailure } from './to-jsonrpc.js';

const CODES = Object.keys(ERROR_CODES) as ErrorCode[];
const INTERNAL_DETAIL = 'SQLITE_IOERR at /var/lib/cairn/data/cairn.db, password=hunter2';

describe('the error table: every code has a mapping', () => {
  it.each(CODES)('%s maps to an HTTP error status and a safe default message', (code) => {
    const { status, body } = toHttpError(new AppError(code), 'req_1');
    expect(status).toBe(ERROR_CODES[code].http);
    expect(status).toBeGreaterThanOrEqual(400);
    expect(status).toBeLessThan(600);
    expect(body).toEqual({ error: { code, message: ERROR_CODES[code].message, requestId: 'req_1' } });
  });

  it.each(CODES)('%s maps to a JSON-RPC answer before and after dispatch', (code) => {
    const pre = toJsonRpcHttpError(new AppError(code), 'req_1', 7);
    expect(pre.status).toBe(ERROR_CODES[code].http);
    expect(Number.isInteger(pre.body.error.code)).toBe(true);
    expect(pre.body).toMatchObject({ jsonrpc: '2.0', id: 7, error: { data: { code, requestId: 'req_1' } } });

    const inTool = toToolFailure(new AppError(code));
    if (ERROR_CODES[code].rpc === 'tool') expect(inTool.kind).toBe('tool');
    else expect(inTool).toMatchObject({ kind: 'rpc', code: expect.any(Number) });
  });

  it('has distinct statuses only where the table says so: 4xx for the caller, 5xx for the server', () => {
    const serverSide = CODES.filter((c) => ERROR_CODES[c].http >= 500).sort();
    expect(serverSide).toEqual(['INTERNAL', 'UNAVAILABLE']);
  });
});

describe('toHttpError: what a caller may see', () => {
  it('shows the message and details of a 4xx error', () => {
    const { status, body, log } = toHttpError(new AppError('CONFLICT', 'Already there.', { existingId: 'mem_1' }), 'req_2');
    expect(status).toBe(409);
    expect(body.error).toEqual({ code: 'CONFLICT', message: 'Already there.', requestId: 'req_2', details: { existingId: 'mem_1' } });
    expect(log).toBeUndefined();
  });

  it.each([
    ['an AppError INTERNAL with a message', new AppError('INTERNAL', INTERNAL_DETAIL, { path: '/var/lib' })],
    ['an AppError UNAVAILABLE with a message', new AppError('UNAVAILABLE', INTERNAL_DETAIL, { host: 'db' })],
    ['a plain Error', new Error(INTERNAL_DETAIL)],
    ['a TypeError', new TypeError(INTERNAL_DETAIL)],
    ['a thrown string', INTERNAL_DETAIL],
    ['a thrown null', null],
    ['a thrown undefined', undefined],
    ['a thrown number', 42],
    ['an error claiming status 500', Object.assign(new Error(INTERNAL_DETAIL), { statusCode: 500 })],
  ])('never exposes the internal message of %s (5xx), but hands it to the log', (_what, err) => {
    const result = toHttpError(err, 'req_3');
    expect(result.status).toBeGreaterThanOrEqual(500);
    expect(JSON.stringify(result.body)).not.toContain('hunter2');
    expect(JSON.stringify(result.body)).not.toContain('/var/lib');
    expect(result.body.error.details).toBeUndefined();
    expect(result.body.error.message).toBe(ERROR_CODES[result.body.error.code as ErrorCode].message);
    expect(result.body.error.requestId).toBe('req_3');
    expect(result.log).toBe(err);
  });

  it('hides 5xx text in every JSON-RPC shape as well', () => {
    const err = new Error(INTERNAL_DETAIL);
    const pre = toJsonRpcHttpError(err, 'req_4');
    expect(JSON.stringify(pre.body)).not.toContain('hunter2');
    expect(pre.log).toBe(err);
    const tool = toToolFailure(err);
    expect(tool).toMatchObject({ kind: 'rpc', code: -32603, message: ERROR_CODES.INTERNAL.message, log: err });
  });

  it('uses helper errors with stable codes and safe details', () => {
    expect(toHttpError(notFound('Memory'), 'r').body.error).toMatchObject({ code: 'NOT_FOUND', message: 'Memory not found.' });
    expect(toHttpError(insufficientScope(['memories:write']), 'r').body.error).toMatchObject({
      code: 'INSUFFICIENT_SCOPE',
      message: expect.stringContaining('memories:write'),
      details: { requiredScopes: ['memories:write'] },
    });
  });
});

describe('framework errors become the same envelope', () => {
  let app: FastifyInstance;
  const Body = z.object({ content: z.string().min(1), tags: z.array(z.string().max(5)).optional() });

  beforeAll(async () => {
    app = Fastify({ bodyLimit: 1024 });
    app.setValidatorCompiler(validatorCompiler);
    app.setSerializerCompiler(serializerCompiler);
    app.setErrorHandler((err, req, reply) => {
      const { status, body } = toHttpError(err, req.id);
      return reply.code(status).send(body);
    });
    app.withTypeProvider<ZodTypeProvider>().post('/things', { schema: { body: Body, querystring: z.object({ limit: z.coerce.number().int().max(10).optional() }) } }, async () => ({ ok: true }));
    app.withTypeProvider<ZodTypeProvider>().get('/broken', { schema: { response: { 200: z.object({ n: z.number() }) } } }, async () => ({ n: 'not a number' }) as unknown as { n: number });
    await app.ready();
  });
  afterAll(async () => app.close());

  async function post(payload: string, headers: Record<string, string> = { 'content-type': 'application/json' }, url = '/things'): Promise<{ status: number; body: HttpError['body'] }> {
    const res = await app.inject({ method: 'POST', url, payload, headers });
    return { status: res.statusCode, body: res.json() };
  }

  it('turns a body over the limit into 413 PAYLOAD_TOO_LARGE', async () => {
    const { status, body } = await post(JSON.stringify({ content: 'x'.repeat(2000) }));
    expect(status).toBe(413);
    expect(body.error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it.each(['{"content": ', '{content: "x"}', 'not json at all'])('turns invalid JSON %j into 400 INVALID_INPUT', async (payload) => {
    const { status, body } = await post(payload);
    expect(status).toBe(400);
    expect(body.error).toMatchObject({ code: 'INVALID_INPUT', message: 'The request body is not valid JSON.' });
  });

  it('turns an empty JSON body into 400 INVALID_INPUT', async () => {
    const { status, body } = await post('');
    expect(status).toBe(400);
    expect(body.error.code).toBe('INVALID_INPUT');
  });

  it('turns an unsupported content type into 415', async () => {
    const { status, body } = await post('content=x', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(status).toBe(415);
    expect(body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('turns a zod validation failure into 400 INVALID_INPUT naming the field', async () => {
    const missing = await post(JSON.stringify({}));
    expect(missing.status).toBe(400);
    expect(missing.body.error.code).toBe('INVALID_INPUT');
    expect(missing.body.error.message).toMatch(/^Invalid body\.content: /);

    const nested = await post(JSON.stringify({ content: 'ok', tags: ['fine', 'far too long'] }));
    expect(nested.body.error.message).toMatch(/^Invalid body\.tags\.1: /);
    expect(nested.body.error.details).toMatchObject({ issues: [{ field: 'body.tags.1' }] });
  });

  it('names a query-string field as querystring.<name>', async () => {
    const { status, body } = await post(JSON.stringify({ content: 'ok' }), { 'content-type': 'application/json' }, '/things?limit=99');
    expect(status).toBe(400);
    expect(body.error.message).toMatch(/^Invalid querystring\.limit: /);
  });

  it('turns a response that breaks its own schema into 500 INTERNAL, without the details', async () => {
    const res = await app.inject({ method: 'GET', url: '/broken' });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ error: { code: 'INTERNAL', message: ERROR_CODES.INTERNAL.message, requestId: expect.any(String) } });
  });

  it('keeps an AppError as it is', () => {
    const err = new AppError('RATE_LIMITED', 'Slow down.');
    expect(toAppError(err)).toBe(err);
  });
});

describe('toToolFailure: domain errors come back as isError results the agent can read', () => {
  it.each([
    ['NOT_FOUND', notFound('Memory')],
    ['CONFLICT', new AppError('CONFLICT', 'Another memory already has this content.', { existingId: 'mem_1' })],
    ['INSUFFICIENT_SCOPE', insufficientScope(['memories:delete'])],
    ['RATE_LIMITED', new AppError('RATE_LIMITED', 'Too many requests; retry in 5s.')],
  ] as const)('%s', (code, err) => {
    const failure = toToolFailure(err);
    expect(failure.kind).toBe('tool');
    if (failure.kind !== 'tool') return;
    expect(failure.result.isError).toBe(true);
    expect(failure.result.content).toEqual([{ type: 'text', text: `${code}: ${err.message}` }]);
  });

  it('turns invalid input into JSON-RPC -32602 with the message', () => {
    const failure = toToolFailure(new AppError('INVALID_INPUT', 'Invalid content: must not be empty.', { field: 'content' }));
    expect(failure).toEqual({ kind: 'rpc', code: -32602, message: 'Invalid content: must not be empty.' });
  });

  it('turns an unavailable database into -32603 with the generic text', () => {
    const err = new AppError('UNAVAILABLE', INTERNAL_DETAIL);
    expect(toToolFailure(err)).toEqual({ kind: 'rpc', code: -32603, message: ERROR_CODES.UNAVAILABLE.message, log: err });
  });
});

describe('toJsonRpcHttpError: rejections before dispatch', () => {
  it('answers an authentication failure with 401 and -32001, keeping the message', () => {
    const { status, body } = toJsonRpcHttpError(new AppError('UNAUTHENTICATED', 'The API key has been revoked.'), 'req_5');
    expect(status).toBe(401);
    expect(body).toEqual({ jsonrpc: '2.0', id: null, error: { code: -32001, message: 'The API key has been revoked.', data: { code: 'UNAUTHENTICATED', requestId: 'req_5' } } });
  });

  it('answers unparseable JSON with -32700', () => {
    const { status, body } = toJsonRpcHttpError(Object.assign(new SyntaxError('Unexpected token'), { statusCode: 400 }), 'req_6');
    expect(status).toBe(400);
    expect(body.error.code).toBe(-32700);
  });
});
