import { describe, expect, it } from 'vitest';
import { exportOf, importInto, memoryRows, seeded, serversClosedAfterEach, setAccess, versionRows } from '../../../testing/transfer-fixtures.js';

// GET /v1/export and POST /v1/import over inject: the round trip, idempotent re-import, bad lines, another
// workspace's ids and memories, paused apps, and the foreign formats.

const server = serversClosedAfterEach();

describe('export → import into a fresh server → export', () => {
  it('gives byte-identical JSONL, and a re-import changes nothing', async () => {
    const source = await seeded(await server());
    const first = await exportOf(source.t, source.key);
    const lines = first.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toEqual({ type: 'cairn-export', version: 1 });
    expect(lines.filter((l) => l.type === 'app')).toEqual([
      { type: 'app', name: 'other-agent', access: 'full' },
      { type: 'app', name: 'paused-agent', access: 'paused' },
      { type: 'app', name: 'test-client', access: 'full' },
    ]);
    const memories = lines.filter((l) => l.type === 'memory');
    expect(memories.map((m) => m.state)).toEqual(['active', 'archived', 'active', 'deleted', 'active']);
    expect(memories[0]).toMatchObject({ content: 'Prefers green tea to coffee', metadata: { topic: 'drinks', v: 2 }, author: 'ana@example.com', app: 'test-client' });
    // The history rides along: create + update for the first, create + delete for the fourth.
    expect(lines.filter((l) => l.type === 'version').length).toBe(9);

    const target = await server();
    const owner = await target.createUser('ana@example.com');
    const { key } = await target.createKey(owner, { name: 'test-client' });
    const res = await importInto(target, key, first);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ format: 'cairn', created: 5, unchanged: 0, duplicates: 0, reattributed: 0, skipped: [], skippedCount: 0 });
    expect(res.json().apps).toEqual([
      { name: 'other-agent', access: 'full', created: true },
      { name: 'paused-agent', access: 'paused', created: true },
      { name: 'test-client', access: 'full', created: false },
    ]);
    const second = await exportOf(target, key);
    expect(second).toBe(first);

    const rows = [await memoryRows(target), await versionRows(target)];
    const again = await importInto(target, key, first);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ created: 0, unchanged: 5, duplicates: 0 });
    expect([await memoryRows(target), await versionRows(target)]).toEqual(rows);
    expect(await exportOf(target, key)).toBe(first);

    const audit = await target.runtime.storage.db.selectFrom('audit_log').selectAll().where('action', 'in', ['memories.import', 'memories.export']).orderBy('id').execute();
    expect(audit.map((a) => a.action)).toEqual(['memories.import', 'memories.export', 'memories.import', 'memories.export']);
    expect(audit[0]).toMatchObject({ workspace_id: owner.workspace.id, user_id: owner.user.id, credential_kind: 'api_key', request_id: expect.any(String) });
    expect(JSON.parse(audit[0]!.detail!)).toMatchObject({ format: 'cairn', created: 5, unchanged: 0 });
    expect(JSON.parse(audit[2]!.detail!)).toMatchObject({ created: 0, unchanged: 5 });
  });

  it('attributes memories of an author who is not a member to the importer', async () => {
    const source = await seeded(await server());
    const file = await exportOf(source.t, source.key);
    const target = await server();
    const bo = await target.createUser('bo@example.com');
    const { key } = await target.createKey(bo, { name: 'test-client' });
    const res = await importInto(target, key, file);
    expect(res.json()).toMatchObject({ created: 5, reattributed: 5 });
    const authors = await target.runtime.storage.db.selectFrom('memories').select('author_user_id').distinct().execute();
    expect(authors.map((a) => a.author_user_id)).toEqual([bo.user.id]);
  });
});

describe('bad lines', () => {
  const file = [
    '{"type":"cairn-export","version":1}',
    '{"type":"memory","id":"mem_one","content":"First","metadata":{},"state":"active","createdAt":"2026-01-01T00:00:00.000Z","updatedAt":"2026-01-01T00:00:00.000Z","author":"ana@example.com","app":"x"}',
    '{"type":"memory","id":"mem_two","content":"","metadata":{},"state":"active","createdAt":"2026-01-01T00:00:00.000Z","updatedAt":"2026-01-01T00:00:00.000Z","author":"ana@example.com","app":"x"}',
    'not json',
    '{"type":"memory","id":"mem_three","content":"Third","metadata":{},"state":"gone","createdAt":"2026-01-01T00:00:00.000Z","updatedAt":"2026-01-01T00:00:00.000Z","author":"ana@example.com","app":"x"}',
    '{"type":"memory","id":"mem_four","content":"Fourth","metadata":{},"state":"active","createdAt":1767225600000,"updatedAt":1767225600000,"author":"ana@example.com","app":"x"}',
  ].join('\n');

  it('abort (the default) writes nothing and lists each bad line with its number', async () => {
    const t = await server();
    const owner = await t.createUser('ana@example.com');
    const { key } = await t.createKey(owner);
    const before = [await memoryRows(t), await versionRows(t)];
    const res = await importInto(t, key, file);
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'IMPORT_INVALID', details: { errorCount: 3 } });
    expect(res.json().error.details.errors).toEqual([
      { line: 3, message: 'invalid content: must not be empty' },
      { line: 4, message: expect.stringMatching(/^invalid JSON/) },
      { line: 5, message: 'invalid state: must be one of active, archived, deleted' },
    ]);
    expect(res.json().error.message).toContain('line 3');
    expect([await memoryRows(t), await versionRows(t)]).toEqual(before);
    expect((await t.runtime.services.apps.list(owner.workspace.id)).map((a) => a.name)).not.toContain('x');
  });

  it('skip imports the good lines and reports the bad ones', async () => {
    const t = await server();
    const owner = await t.createUser('ana@example.com');
    const { key } = await t.createKey(owner);
    const res = await importInto(t, key, file, '?onError=skip');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ created: 2, skippedCount: 3, skipped: [{ line: 3 }, { line: 4 }, { line: 5 }] });
    const ids = (await t.runtime.storage.db.selectFrom('memories').select('id').orderBy('id').execute()).map((r) => r.id);
    expect(ids).toEqual(['mem_four', 'mem_one']);
    // A memory without version lines starts its history with a baseline.
    const versions = await t.runtime.storage.db.selectFrom('memory_versions').select(['memory_id', 'version', 'action']).where('memory_id', '=', 'mem_one').execute();
    expect(versions).toEqual([{ memory_id: 'mem_one', version: 1, action: 'baseline' }]);
  });

  it('an import larger than CAIRN_IMPORT_MAX_BYTES is 413 and writes nothing', async () => {
    const t = await server({ CAIRN_IMPORT_MAX_BYTES: '1kb' });
    const owner = await t.createUser('ana@example.com');
    const { key } = await t.createKey(owner);
    const big = ['{"type":"cairn-export","version":1}', ...Array.from({ length: 40 }, (_, i) => JSON.stringify({ type: 'app', name: `app-${i}-${'x'.repeat(20)}`, access: 'full' }))].join('\n');
    const res = await importInto(t, key, big);
    expect(res.statusCode).toBe(413);
    expect(res.json().error.message).toContain('CAIRN_IMPORT_MAX_BYTES');
    expect(await t.runtime.services.apps.list(owner.workspace.id)).toHaveLength(1);
  });
});

describe('workspaces', () => {
  it('an id another workspace holds is imported under a derived id, leaving the other untouched, and re-import is idempotent', async () => {
    const t = await server();
    const ana = await t.createUser('ana@example.com');
    const bo = await t.createUser('bo@example.com');
    const anaKey = (await t.createKey(ana)).key;
    const boKey = (await t.createKey(bo)).key;
    const theirs = await t.addMemory(anaKey, 'Ana keeps this');
    const file = [
      '{"type":"cairn-export","version":1}',
      JSON.stringify({ type: 'memory', id: theirs.id, content: 'Bo writes this', metadata: {}, state: 'active', createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z', author: 'bo@example.com', app: 'test-client' }),
    ].join('\n');
    const res = await importInto(t, boKey, file);
    expect(res.json()).toMatchObject({ created: 1, unchanged: 0 });
    const anaView = (await t.call('GET', `/api/v1/memories/${theirs.id}`, { key: anaKey })).json();
    expect(anaView.memory).toMatchObject({ content: 'Ana keeps this' });
    const boMemories = (await t.call('GET', '/api/v1/memories', { key: boKey })).json().memories as { id: string; content: string }[];
    expect(boMemories).toHaveLength(1);
    expect(boMemories[0]!.content).toBe('Bo writes this');
    expect(boMemories[0]!.id).not.toBe(theirs.id);
    expect((await importInto(t, boKey, file)).json()).toMatchObject({ created: 0, unchanged: 1 });
    // Bo's export shows only Bo's memory: never Ana's.
    const exported = await exportOf(t, boKey);
    expect(exported).toContain('Bo writes this');
    expect(exported).not.toContain('Ana keeps this');
    expect(exported).not.toContain(theirs.id);
  });

  it('a memory whose text a live memory of the workspace has is counted as a duplicate', async () => {
    const t = await server();
    const ana = await t.createUser('ana@example.com');
    const { key } = await t.createKey(ana);
    await t.addMemory(key, 'Likes jazz');
    const file = ['{"type":"cairn-export","version":1}', JSON.stringify({ type: 'memory', id: 'mem_elsewhere', content: 'Likes jazz', metadata: {}, state: 'active', createdAt: 1, updatedAt: 1, author: 'ana@example.com', app: 'x' })].join('\n');
    expect((await importInto(t, key, file)).json()).toMatchObject({ created: 0, duplicates: 1 });
    expect(await memoryRows(t)).toBe(1);
  });
});

describe('app controls', () => {
  it('a paused app can neither export nor import; a read-only app can export but not import', async () => {
    const t = await server();
    const ana = await t.createUser('ana@example.com');
    const { key } = await t.createKey(ana, { name: 'agent' });
    const file = '{"type":"cairn-export","version":1}\n';
    await setAccess(t, ana, 'agent', 'paused');
    expect((await t.call('GET', '/api/v1/export', { key })).json().error.code).toBe('APP_PAUSED');
    expect((await importInto(t, key, file)).json().error.code).toBe('APP_PAUSED');
    await setAccess(t, ana, 'agent', 'read_only');
    expect((await t.call('GET', '/api/v1/export', { key })).statusCode).toBe(200);
    expect((await importInto(t, key, file)).json().error.code).toBe('APP_READ_ONLY');
  });

  it('a file cannot pause or limit the dashboard’s own app', async () => {
    const t = await server();
    const ana = await t.createUser('ana@example.com');
    const { key } = await t.createKey(ana);
    const file = ['{"type":"cairn-export","version":1}', '{"type":"app","name":"Dashboard","access":"paused"}', '{"type":"app","name":"Other","access":"paused"}'].join('\n');
    const res = await importInto(t, key, file);
    expect(res.json().apps).toEqual([
      { name: 'Dashboard', access: 'full', created: true },
      { name: 'Other', access: 'paused', created: true },
    ]);
  });

  it('export needs memories:read and import memories:write', async () => {
    const t = await server();
    const ana = await t.createUser('ana@example.com');
    const readOnly = (await t.createKey(ana, { scopes: ['memories:read'] })).key;
    const writeOnly = (await t.createKey(ana, { name: 'w', scopes: ['memories:write'] })).key;
    expect((await importInto(t, readOnly, '{"type":"cairn-export","version":1}')).statusCode).toBe(403);
    expect((await t.call('GET', '/api/v1/export', { key: writeOnly })).statusCode).toBe(403);
  });
});

describe('foreign formats', () => {
  it('imports an OpenMemory/mem0 export with the documented mapping, idempotently', async () => {
    const t = await server();
    const ana = await t.createUser('ana@example.com');
    const { key } = await t.createKey(ana, { name: 'test-client' });
    const doc = {
      results: [
        { id: 'a1b2', memory: 'Is vegetarian', hash: 'h1', metadata: { confidence: 0.9 }, categories: ['food'], created_at: '2025-03-01T10:00:00.123456-08:00', updated_at: '2025-03-02T10:00:00Z', user_id: 'ana', agent_id: 'claude' },
        { id: 'c3d4', memory: 'Was in Berlin last year', state: 'paused', created_at: '2025-01-01T00:00:00Z', user_id: 'ana' },
        { id: 'e5f6', content: 'Old number', state: 'deleted', app_name: 'openmemory-ui' },
      ],
    };
    const res = await importInto(t, key, JSON.stringify(doc, null, 2), '', 'application/json');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ format: 'openmemory', created: 3, reattributed: 0 });
    const rows = await t.runtime.storage.db.selectFrom('memories as m').innerJoin('apps as a', 'a.id', 'm.app_id').select(['m.content', 'm.metadata', 'm.state', 'm.created_at', 'm.updated_at', 'a.name']).orderBy('m.created_at').execute();
    const byContent = new Map(rows.map((r) => [r.content, { ...r, metadata: typeof r.metadata === 'string' ? JSON.parse(r.metadata) : r.metadata }]));
    expect(byContent.get('Is vegetarian')).toMatchObject({
      state: 'active',
      name: 'test-client',
      created_at: Date.parse('2025-03-01T18:00:00.123Z'),
      updated_at: Date.parse('2025-03-02T10:00:00Z'),
      metadata: { confidence: 0.9, source: 'openmemory', categories: ['food'], openmemory: { id: 'a1b2', hash: 'h1', user_id: 'ana', agent_id: 'claude' } },
    });
    expect(byContent.get('Was in Berlin last year')).toMatchObject({ state: 'archived', metadata: { openmemory: { id: 'c3d4' } } });
    expect(byContent.get('Old number')).toMatchObject({ state: 'deleted', name: 'openmemory-ui', metadata: { openmemory: { id: 'e5f6', app: 'openmemory-ui' } } });
    // The same file again, as JSONL this time: the same derived ids, so nothing new.
    const jsonl = doc.results.map((r) => JSON.stringify(r)).join('\n');
    expect((await importInto(t, key, jsonl)).json()).toMatchObject({ format: 'openmemory', created: 0, unchanged: 3 });
  });

  it('imports a server-memory knowledge graph: one memory per observation and per relation', async () => {
    const t = await server();
    const ana = await t.createUser('ana@example.com');
    const { key } = await t.createKey(ana, { name: 'test-client' });
    const graph = [
      { type: 'entity', name: 'John_Smith', entityType: 'person', observations: ['Speaks fluent Spanish', 'Graduated in 2019'] },
      { type: 'entity', name: 'Anthropic', entityType: 'organization', observations: [] },
      { type: 'relation', from: 'John_Smith', to: 'Anthropic', relationType: 'works_at' },
    ]
      .map((l) => JSON.stringify(l))
      .join('\n');
    const res = await importInto(t, key, graph);
    expect(res.json()).toMatchObject({ format: 'server-memory', created: 3 });
    const rows = await t.runtime.storage.db.selectFrom('memories').select(['content', 'metadata', 'state']).orderBy('content').execute();
    expect(rows.map((r) => ({ content: r.content, state: r.state, metadata: typeof r.metadata === 'string' ? JSON.parse(r.metadata) : r.metadata }))).toEqual([
      { content: 'John_Smith works_at Anthropic', state: 'active', metadata: { source: 'mcp-server-memory', relation: { from: 'John_Smith', to: 'Anthropic', relationType: 'works_at' } } },
      { content: 'John_Smith: Graduated in 2019', state: 'active', metadata: { source: 'mcp-server-memory', entity: 'John_Smith', entityType: 'person' } },
      { content: 'John_Smith: Speaks fluent Spanish', state: 'active', metadata: { source: 'mcp-server-memory', entity: 'John_Smith', entityType: 'person' } },
    ]);
    expect((await importInto(t, key, graph, '?format=server-memory')).json()).toMatchObject({ created: 0, unchanged: 3 });
    // A line that is neither entity nor relation is reported with its number.
    const bad = await importInto(t, key, `${graph}\n{"type":"observation"}`);
    expect(bad.json().error.details.errors).toEqual([{ line: 4, message: 'unknown line type "observation" (expected entity or relation)' }]);
  });
});
