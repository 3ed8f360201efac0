import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../errors/app-error.js';
import { KyselyAuditStore } from '../../storage/audit-repo.js';
import { openStorage, type Storage } from '../../storage/db.js';
import { KyselyMemoryStore } from '../../storage/memories-repo.js';
import { migrate } from '../../storage/migrate.js';
import { KyselyAppStore, KyselyUserStore } from '../../storage/users-repo.js';
import { AppAccessGuard } from '../apps/app-access-guard.js';
import { BufferedAccessLog } from '../audit/buffered-access-log.js';
import { ManualClock } from '../clock.js';
import type { Principal } from '../principal.js';
import type { Scope } from '../scopes.js';
import { UserService } from '../users/user-service.js';
import { MAX_BATCH, MAX_CONTENT_CHARS, MAX_METADATA_BYTES } from './memory.js';
import { encodeCursor, MAX_PAGE, MAX_SEARCH_LIMIT, MemoryService } from './memory-service.js';

const ALL: Scope[] = ['memories:read', 'memories:write', 'memories:delete'];

let storage: Storage;
let clock: ManualClock;
let accessLog: BufferedAccessLog;
let service: MemoryService;
let base: Omit<Principal, 'scopes'>;
let other: Principal;

beforeEach(async () => {
  storage = openStorage({ dialect: 'sqlite', path: ':memory:' });
  await migrate(storage);
  clock = new ManualClock();
  const users = new UserService(new KyselyUserStore(storage.db), clock);
  const apps = new KyselyAppStore(storage.db);
  const ada = await users.create({ email: 'ada@example.com' });
  const bob = await users.create({ email: 'bob@example.com' });
  const adaApp = await apps.ensure(ada.workspace.id, 'claude', clock.now());
  const bobApp = await apps.ensure(bob.workspace.id, 'cursor', clock.now());
  base = { userId: ada.user.id, workspaceId: ada.workspace.id, appId: adaApp.id, credential: { kind: 'api_key', id: 'key_ada' }, requestId: 'req_1' };
  other = { userId: bob.user.id, workspaceId: bob.workspace.id, appId: bobApp.id, credential: { kind: 'api_key', id: 'key_bob' }, scopes: new Set(ALL) };
  // A large buffer so nothing is flushed behind the tests' backs: they flush when they mean to.
  accessLog = new BufferedAccessLog(new KyselyAuditStore(storage.db), { maxBuffered: 10_000 });
  service = new MemoryService(new KyselyMemoryStore(storage.db, storage.dialect), accessLog, clock, new AppAccessGuard(apps, clock, { ttlMs: 5000, maxEntries: 100 }));
});
afterEach(async () => storage.close());

const as = (...scopes: Scope[]): Principal => ({ ...base, scopes: new Set(scopes) });
const full = () => as(...ALL);

async function appError(promise: Promise<unknown>): Promise<AppError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

async function auditRows() {
  return storage.db.selectFrom('audit_log').select(['action', 'target_id', 'credential_id', 'app_id', 'request_id', 'detail']).where('action', 'like', 'memory.%').orderBy('id').execute();
}

async function memoryCount(): Promise<number> {
  const r = await storage.db.selectFrom('memories').select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow();
  return Number(r.n);
}

describe('MemoryService: scopes per method', () => {
  // Each operation with the one scope it needs; `admin` implies every one of them.
  const operations: [string, Scope, (p: Principal, id: string) => Promise<unknown>][] = [
    ['add', 'memories:write', (p) => service.add(p, { content: 'a new memory' })],
    ['addMany', 'memories:write', (p) => service.addMany(p, [{ content: 'one' }, { content: 'two' }])],
    ['get', 'memories:read', (p, id) => service.get(p, id)],
    ['list', 'memories:read', (p) => service.list(p)],
    ['search', 'memories:read', (p) => service.search(p, { query: 'seed' })],
    ['counts', 'memories:read', (p) => service.counts(p)],
    ['update (content)', 'memories:write', (p, id) => service.update(p, id, { content: 'changed text' })],
    ['update (archive)', 'memories:write', (p, id) => service.update(p, id, { state: 'archived' })],
    ['update (state deleted)', 'memories:delete', (p, id) => service.update(p, id, { state: 'deleted' })],
    ['delete', 'memories:delete', (p, id) => service.delete(p, id)],
    ['deleteMany', 'memories:delete', (p, id) => service.deleteMany(p, { ids: [id] })],
  ];

  it.each(operations)('%s without %s is INSUFFICIENT_SCOPE naming the scope, and changes nothing', async (_name, needed, run) => {
    const { memory } = await service.add(full(), { content: 'seed memory' });
    const before = await auditRows();
    const lacking = as(...[...ALL, 'admin' as const].filter((s) => s !== needed && s !== 'admin'));

    const err = await appError(run(lacking, memory.id));

    expect(err.code).toBe('INSUFFICIENT_SCOPE');
    expect(err.message).toContain(needed);
    expect(err.details).toEqual({ requiredScopes: [needed] });
    expect(await auditRows()).toEqual(before);
    expect(await service.get(full(), memory.id)).toMatchObject({ content: 'seed memory', state: 'active' });
    expect(await memoryCount()).toBe(1);
  });

  it.each(operations)('%s succeeds with admin alone', async (_name, _needed, run) => {
    const { memory } = await service.add(full(), { content: 'seed memory' });
    expect(await run(as('admin'), memory.id).then(() => 'ok', (e: unknown) => e)).toBe('ok');
  });

  it.each(operations)('%s succeeds with exactly %s', async (_name, needed, run) => {
    const { memory } = await service.add(full(), { content: 'seed memory' });
    expect(await run(as(needed), memory.id).then(() => 'ok', (e: unknown) => e)).toBe('ok');
  });
});

describe('MemoryService.add: normalisation and duplicates', () => {
  it('stores content NFC-normalised and trimmed', async () => {
    const { memory, created } = await service.add(full(), { content: '  Cafe\u0301 au lait\n' });
    expect(created).toBe(true);
    expect(memory.content).toBe('Caf\u00e9 au lait');
    expect(memory).toMatchObject({ workspaceId: base.workspaceId, authorUserId: base.userId, appId: base.appId, appName: 'claude', state: 'active', metadata: {} });
  });

  it('returns the existing memory with created:false for the same text written differently', async () => {
    const first = await service.add(full(), { content: 'Caf\u00e9 au lait' });
    clock.advance(1000);
    const again = await service.add(full(), { content: '\tCafe\u0301 au lait  ', metadata: { ignored: true } });
    expect(again.created).toBe(false);
    expect(again.memory.id).toBe(first.memory.id);
    expect(again.memory.metadata).toEqual({});
    expect(await memoryCount()).toBe(1);
    expect((await auditRows()).map((r) => r.action)).toEqual(['memory.create']);
  });

  it('dedupes within one batch too', async () => {
    const outcomes = await service.addMany(full(), [{ content: 'same' }, { content: ' same ' }, { content: 'different' }]);
    expect(outcomes.map((o) => o.created)).toEqual([true, false, true]);
    expect(outcomes[1]?.memory.id).toBe(outcomes[0]?.memory.id);
  });

  it('does not see another workspace’s memory as a duplicate', async () => {
    const mine = await service.add(full(), { content: 'shared words' });
    const theirs = await service.add(other, { content: 'shared words' });
    expect(theirs.created).toBe(true);
    expect(theirs.memory.id).not.toBe(mine.memory.id);
  });

  it('lets a deleted memory’s text be added again as a new memory', async () => {
    const { memory } = await service.add(full(), { content: 'come back' });
    await service.delete(full(), memory.id);
    const again = await service.add(full(), { content: 'come back' });
    expect(again.created).toBe(true);
    expect(again.memory.id).not.toBe(memory.id);
  });
});

describe('MemoryService: validation names the field', () => {
  it.each([
    ['empty content', { content: '' }, 'content'],
    ['whitespace-only content', { content: ' \n\t ' }, 'content'],
    ['content over the limit', { content: 'x'.repeat(MAX_CONTENT_CHARS + 1) }, 'content'],
    ['metadata that is an array', { content: 'ok', metadata: [] as unknown as Record<string, unknown> }, 'metadata'],
    ['metadata that is a number', { content: 'ok', metadata: 42 as unknown as Record<string, unknown> }, 'metadata'],
    ['metadata that is a string', { content: 'ok', metadata: 'tags' as unknown as Record<string, unknown> }, 'metadata'],
    ['metadata over the size limit', { content: 'ok', metadata: { blob: 'x'.repeat(MAX_METADATA_BYTES) } }, 'metadata'],
  ])('add: %s', async (_what, input, field) => {
    const err = await appError(service.add(full(), input));
    expect(err.code).toBe('INVALID_INPUT');
    expect(err.details).toEqual({ field });
    expect(err.message).toContain(field);
    expect(await memoryCount()).toBe(0);
  });

  it('accepts content of exactly the limit, counted after trimming', async () => {
    const { memory } = await service.add(full(), { content: `  ${'x'.repeat(MAX_CONTENT_CHARS)}  ` });
    expect(memory.content).toHaveLength(MAX_CONTENT_CHARS);
  });

  it('names the item of a batch that is wrong, and writes none of the batch', async () => {
    const err = await appError(service.addMany(full(), [{ content: 'fine' }, { content: '   ' }]));
    expect(err.details).toEqual({ field: 'memories.1.content' });
    const meta = await appError(service.addMany(full(), [{ content: 'fine' }, { content: 'also', metadata: [] as unknown as Record<string, unknown> }]));
    expect(meta.details).toEqual({ field: 'memories.1.metadata' });
    expect(await memoryCount()).toBe(0);
  });

  it('refuses an empty batch and one over the batch limit', async () => {
    const empty = await appError(service.addMany(full(), []));
    expect(empty).toMatchObject({ code: 'INVALID_INPUT', details: { field: 'memories' } });
    const tooMany = Array.from({ length: MAX_BATCH + 1 }, (_, i) => ({ content: `memory ${i}` }));
    const big = await appError(service.addMany(full(), tooMany));
    expect(big).toMatchObject({ code: 'INVALID_INPUT', details: { field: 'memories' } });
    expect(big.message).toContain(String(MAX_BATCH));
    expect(await memoryCount()).toBe(0);
    expect(await service.addMany(full(), tooMany.slice(0, MAX_BATCH))).toHaveLength(MAX_BATCH);
  });

  it.each([0, -1, 1.5, MAX_PAGE + 1, Number.NaN])('list refuses limit %s', async (limit) => {
    expect(await appError(service.list(full(), { limit }))).toMatchObject({ code: 'INVALID_INPUT', details: { field: 'limit' } });
  });

  it.each([0, MAX_SEARCH_LIMIT + 1])('search refuses limit %s', async (limit) => {
    expect(await appError(service.search(full(), { query: 'x', limit }))).toMatchObject({ code: 'INVALID_INPUT', details: { field: 'limit' } });
  });

  it.each([
    ['not base64 JSON', 'garbage!'],
    ['JSON of the wrong shape', Buffer.from(JSON.stringify({ createdAt: 1, id: 'mem_x' })).toString('base64url')],
    ['the fields swapped', Buffer.from(JSON.stringify(['mem_x', 1])).toString('base64url')],
    ['empty', ''],
  ])('list refuses a cursor that is %s', async (_what, cursor) => {
    expect(await appError(service.list(full(), { cursor }))).toMatchObject({ code: 'INVALID_INPUT', details: { field: 'cursor' } });
  });

  it.each([
    ['empty', '   '],
    ['too long', 'q'.repeat(2001)],
  ])('search refuses a query that is %s', async (_what, query) => {
    expect(await appError(service.search(full(), { query }))).toMatchObject({ code: 'INVALID_INPUT', details: { field: 'query' } });
  });

  it('refuses an update that changes nothing, and invalid content in an update', async () => {
    const { memory } = await service.add(full(), { content: 'original' });
    expect((await appError(service.update(full(), memory.id, {}))).code).toBe('INVALID_INPUT');
    expect(await appError(service.update(full(), memory.id, { content: '  ' }))).toMatchObject({ details: { field: 'content' } });
    expect(await appError(service.update(full(), memory.id, { metadata: [] as unknown as Record<string, unknown> }))).toMatchObject({ details: { field: 'metadata' } });
  });

  it('refuses more than 1000 ids in one bulk delete', async () => {
    const ids = Array.from({ length: 1001 }, (_, i) => `mem_${i}`);
    expect(await appError(service.deleteMany(full(), { ids }))).toMatchObject({ code: 'INVALID_INPUT', details: { field: 'ids' } });
  });
});

describe('MemoryService: not found and conflicts', () => {
  it('answers NOT_FOUND for a deleted memory, an unknown id and another workspace’s memory', async () => {
    const { memory } = await service.add(full(), { content: 'short-lived' });
    await service.delete(full(), memory.id);
    expect((await appError(service.get(full(), memory.id))).code).toBe('NOT_FOUND');
    expect((await appError(service.delete(full(), memory.id))).code).toBe('NOT_FOUND');
    expect((await appError(service.get(full(), 'mem_unknown'))).code).toBe('NOT_FOUND');

    const theirs = await service.add(other, { content: 'bob’s secret' });
    const err = await appError(service.get(full(), theirs.memory.id));
    expect(err.code).toBe('NOT_FOUND');
    expect((await appError(service.update(full(), theirs.memory.id, { content: 'hijacked' }))).code).toBe('NOT_FOUND');
    expect((await appError(service.delete(full(), theirs.memory.id))).code).toBe('NOT_FOUND');
    expect((await service.get(other, theirs.memory.id)).content).toBe('bob’s secret');
  });

  it('refuses an update to another memory’s content with CONFLICT carrying existingId', async () => {
    const a = await service.add(full(), { content: 'first' });
    const b = await service.add(full(), { content: 'second' });
    const err = await appError(service.update(full(), b.memory.id, { content: ' first ' }));
    expect(err.code).toBe('CONFLICT');
    expect(err.details).toEqual({ existingId: a.memory.id });
    expect((await service.get(full(), b.memory.id)).content).toBe('second');
  });

  it('allows an update to the memory’s own current content', async () => {
    const a = await service.add(full(), { content: 'same text' });
    clock.advance(1000);
    const updated = await service.update(full(), a.memory.id, { content: 'same text', metadata: { k: 1 } });
    expect(updated).toMatchObject({ content: 'same text', metadata: { k: 1 }, updatedAt: clock.now() });
  });
});

describe('MemoryService: audit and access log', () => {
  it('writes an audit row for each mutation, with the credential, app and request', async () => {
    const { memory } = await service.add(full(), { content: 'audited' });
    await service.update(full(), memory.id, { content: 'audited again' });
    await service.delete(full(), memory.id);
    await service.add(full(), { content: 'one' });
    await service.deleteMany(full(), {});

    const rows = await auditRows();
    expect(rows.map((r) => [r.action, r.target_id])).toEqual([
      ['memory.create', memory.id],
      ['memory.update', memory.id],
      ['memory.delete', memory.id],
      ['memory.create', expect.any(String)],
      ['memory.bulk_delete', null],
    ]);
    for (const r of rows) expect(r).toMatchObject({ credential_id: 'key_ada', app_id: base.appId, request_id: 'req_1' });
    expect(JSON.parse(rows[1]!.detail!)).toEqual({ fields: ['content'] });
    expect(JSON.parse(rows[4]!.detail!)).toEqual({ count: 1 });
  });

  it('writes a mutation and its audit row in one transaction: no audit, no change', async () => {
    const { memory } = await service.add(full(), { content: 'before the outage' });
    await sql`CREATE TRIGGER audit_refused BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'audit refused'); END`.execute(storage.db);

    await expect(service.add(full(), { content: 'never stored' })).rejects.toThrow(/audit refused/);
    await expect(service.update(full(), memory.id, { content: 'never changed' })).rejects.toThrow(/audit refused/);
    await expect(service.delete(full(), memory.id)).rejects.toThrow(/audit refused/);
    await expect(service.deleteMany(full(), {})).rejects.toThrow(/audit refused/);

    expect(await memoryCount()).toBe(1);
    expect(await service.get(full(), memory.id)).toMatchObject({ content: 'before the outage', state: 'active' });
  });

  it('sends reads to the access log, written only when it flushes', async () => {
    const { memory } = await service.add(full(), { content: 'read me please' });
    const afterWrite = (await auditRows()).length;

    await service.get(full(), memory.id);
    await service.list(full());
    await service.search(full(), { query: 'read' });
    expect((await auditRows()).length).toBe(afterWrite);
    expect(accessLog.pending).toBe(3);

    await accessLog.flush();
    const reads = (await auditRows()).slice(afterWrite);
    expect(reads.map((r) => [r.action, r.target_id])).toEqual([
      ['memory.read', memory.id],
      ['memory.list', null],
      ['memory.search', null],
    ]);
    expect(JSON.parse(reads[1]!.detail!)).toEqual({ count: 1 });
    expect(JSON.parse(reads[2]!.detail!)).toEqual({ results: 1 });
  });

  it('logs no read for a refused or missing get', async () => {
    await appError(service.get(as('memories:write'), 'mem_x'));
    await appError(service.get(full(), 'mem_x'));
    expect(accessLog.pending).toBe(0);
  });
});

describe('MemoryService.list: pages', () => {
  it('pages newest first with a cursor until nextCursor is null', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await service.add(full(), { content: `memory ${i}` })).memory.id);
      clock.advance(1000);
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await service.list(full(), { limit: 2, ...(cursor ? { cursor } : {}) });
      seen.push(...page.memories.map((m) => m.id));
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    expect(seen).toEqual([...ids].reverse());
  });

  it('lists only the asked state, active by default', async () => {
    const a = await service.add(full(), { content: 'kept' });
    const b = await service.add(full(), { content: 'shelved' });
    await service.update(full(), b.memory.id, { state: 'archived' });
    expect((await service.list(full())).memories.map((m) => m.id)).toEqual([a.memory.id]);
    expect((await service.list(full(), { state: 'archived' })).memories.map((m) => m.id)).toEqual([b.memory.id]);
    expect(await service.counts(full())).toEqual({ active: 1, archived: 1, deleted: 0 });
  });

  it('accepts a cursor built from a memory it returned', async () => {
    const a = await service.add(full(), { content: 'older' });
    clock.advance(1000);
    const b = await service.add(full(), { content: 'newer' });
    const page = await service.list(full(), { cursor: encodeCursor(b.memory) });
    expect(page.memories.map((m) => m.id)).toEqual([a.memory.id]);
  });
});
