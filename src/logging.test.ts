import Fastify, { type FastifyBaseLogger } from 'fastify';
import { describe, expect, it } from 'vitest';
import { generateApiKey } from './auth/api-keys/api-key.js';
import { createLogger } from './logging.js';

/** A pino destination that keeps every written line. */
function capture() {
  const lines: string[] = [];
  return {
    lines,
    stream: { write: (line: string) => void lines.push(line) },
    text: () => lines.join(''),
    parsed: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

const { key } = generateApiKey();
/** What must never be written: the key without its public prefix. */
const secretPart = key.slice('cairn_sk_'.length);

describe('logger: header redaction', () => {
  it('censors authorization, x-api-key and cookie on a logged request', () => {
    const out = capture();
    const log = createLogger('info', out.stream);
    log.info({ req: { method: 'GET', url: '/api/v1/memories', headers: { authorization: 'Bearer opaque-token-1', 'x-api-key': 'opaque-token-2', cookie: 'sid=opaque-token-3', accept: 'application/json' } } }, 'request');
    log.info({ headers: { authorization: 'Basic opaque-token-4', cookie: 'sid=opaque-token-5' } }, 'outgoing');
    log.info({ res: { statusCode: 200, headers: { 'set-cookie': 'sid=opaque-token-6' } } }, 'response');

    const text = out.text();
    for (let i = 1; i <= 6; i++) expect(text).not.toContain(`opaque-token-${i}`);
    const [request, outgoing] = out.parsed() as [{ req: { headers: Record<string, string> } }, { headers: Record<string, string> }];
    expect(request.req.headers).toEqual({ authorization: '[redacted]', 'x-api-key': '[redacted]', cookie: '[redacted]', accept: 'application/json' });
    expect(outgoing.headers).toEqual({ authorization: '[redacted]', cookie: '[redacted]' });
  });

  it('censors password, secret and key fields one level down', () => {
    const out = capture();
    createLogger('info', out.stream).info({ user: { password: 'pw-value' }, config: { secret: 'secret-value' }, apiKey: { key: 'key-value' } }, 'fields');
    expect(out.text()).not.toMatch(/pw-value|secret-value|key-value/);
  });
});

describe('logger: the password of an SMTP URL is replaced', () => {
  it('in a message or a field, keeping the user and host', () => {
    const out = capture();
    const log = createLogger('info', out.stream);
    log.info('could not connect to smtp://cairn:hunter2-smtp@mail.example.com:587');
    log.warn({ err: { message: 'SMTPS://me%40x:p%40ss-smtp@mail.example.com:465 refused' } }, 'mail');
    expect(out.text()).not.toMatch(/hunter2-smtp|p%40ss-smtp/);
    expect(out.parsed()[0]?.msg).toBe('could not connect to smtp://cairn:[redacted]@mail.example.com:587');
  });
});

describe('logger: a Cairn key anywhere in a line is replaced', () => {
  it('in the message', () => {
    const out = capture();
    createLogger('info', out.stream).info(`client sent ${key} twice`);
    expect(out.text()).not.toContain(secretPart);
    expect(out.parsed()[0]?.msg).toBe('client sent cairn_sk_[redacted] twice');
  });

  it('in a nested field that is not on the redaction list', () => {
    const out = capture();
    createLogger('info', out.stream).warn({ detail: { attempt: { presented: key, list: ['a', key] } } }, 'odd');
    expect(out.text()).not.toContain(secretPart);
    expect(out.parsed()[0]).toMatchObject({ detail: { attempt: { presented: 'cairn_sk_[redacted]', list: ['a', 'cairn_sk_[redacted]'] } } });
  });

  it('in an error message and its stack', () => {
    const out = capture();
    createLogger('info', out.stream).error({ err: new Error(`lookup failed for ${key}`) }, 'verify failed');
    const text = out.text();
    expect(text).not.toContain(secretPart);
    const { err } = out.parsed()[0] as { err: { message: string; stack: string } };
    expect(err.message).toBe('lookup failed for cairn_sk_[redacted]');
    expect(err.stack).toContain('cairn_sk_[redacted]');
  });

  it('in a URL logged by Fastify’s request logger, and in a header echoed by a handler', async () => {
    const out = capture();
    const app = Fastify({ loggerInstance: createLogger('info', out.stream) as FastifyBaseLogger });
    app.get('/echo', async (req) => {
      req.log.info({ seen: req.headers['x-forwarded-key'] }, 'handler');
      return { ok: true };
    });
    await app.inject({ method: 'GET', url: `/echo?api_key=${key}`, headers: { 'x-forwarded-key': key } });
    await app.close();

    expect(out.lines.length).toBeGreaterThanOrEqual(3);
    expect(out.text()).not.toContain(secretPart);
    expect(out.text()).toContain('/echo?api_key=cairn_sk_[redacted]');
  });

  it('keeps each line valid JSON after the replacement', () => {
    const out = capture();
    createLogger('info', out.stream).info({ a: key, b: `"${key}"` }, key);
    expect(() => out.parsed()).not.toThrow();
  });

  it('writes lines without keys unchanged', () => {
    const out = capture();
    createLogger('info', out.stream).info({ note: 'cairn_sk_ is our prefix' }, 'plain');
    expect(out.parsed()[0]).toMatchObject({ note: 'cairn_sk_ is our prefix', msg: 'plain' });
  });
});
