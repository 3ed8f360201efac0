import { describe, expect, it } from 'vitest';
import { canonical, derivedId, detectFormat, memoryLine, parseImport } from './format.js';

// The parsers on their own: what each format becomes, and which line a problem is reported on.

const NOW = Date.UTC(2026, 5, 1);
const HEADER = '{"type":"cairn-export","version":1}';
const mem = (id: string, over: Record<string, unknown> = {}) =>
  JSON.stringify({ type: 'memory', id, content: `text of ${id}`, metadata: {}, state: 'active', createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z', author: 'Ana@Example.com', app: 'a', ...over });
const ver = (version: number, over: Record<string, unknown> = {}) =>
  JSON.stringify({ type: 'version', version, action: 'create', content: 'x', metadata: {}, state: 'active', at: '2026-01-01T00:00:00.000Z', by: null, app: null, credentialKind: null, credentialId: null, requestId: null, ...over });

describe('detectFormat', () => {
  it('reads the first non-blank line', () => {
    expect(detectFormat(['', HEADER])).toBe('cairn');
    expect(detectFormat(['{"type":"relation","from":"a","to":"b","relationType":"r"}'])).toBe('server-memory');
    expect(detectFormat(['{', '  "results": []', '}'])).toBe('openmemory');
    expect(detectFormat(['{"memory":"x"}'])).toBe('openmemory');
  });
});

describe('Cairn format', () => {
  it('attaches versions to the memory before them and lower-cases emails', () => {
    const parsed = parseImport([HEADER, mem('m1'), ver(1), ver(2, { action: 'update', by: 'Bo@Example.com' }), mem('m2')], 'auto', NOW);
    expect(parsed.errors).toEqual([]);
    expect(parsed.memories.map((m) => [m.id, m.authorEmail, m.versions.map((v) => [v.version, v.byEmail])])).toEqual([
      ['m1', 'ana@example.com', [[1, null], [2, 'bo@example.com']]],
      ['m2', 'ana@example.com', []],
    ]);
  });

  it('reports a missing or wrong header once, on its line, and reads nothing else', () => {
    expect(parseImport(['', mem('m1'), mem('m2')], 'cairn', NOW).errors).toEqual([{ line: 2, message: 'the first line must be the header {"type":"cairn-export","version":1}' }]);
    expect(parseImport(['{"type":"cairn-export","version":2}'], 'cairn', NOW).errors[0]!.message).toContain('unsupported export version 2');
  });

  it('leaves out a memory whose line or any of whose versions is bad, with its versions, reporting each bad line', () => {
    const parsed = parseImport([HEADER, mem('m1', { state: 'gone' }), ver(1), mem('m2'), ver(2), ver(1), mem('m3'), mem('m3'), ver(1, { at: 'yesterday' })], 'cairn', NOW);
    expect(parsed.errors).toEqual([
      { line: 2, message: 'invalid state: must be one of active, archived, deleted' },
      { line: 3, message: 'belongs to the memory on line 2, which is invalid' },
      { line: 6, message: 'invalid version: must be above 2 (versions come in order)' },
      { line: 8, message: 'the memory m3 appears twice (first on line 7)' },
      { line: 9, message: 'belongs to the memory on line 8, which is invalid' },
    ]);
    expect(parsed.memories.map((m) => m.id)).toEqual(['m3']);
  });

  it('takes ISO times and milliseconds, and a version line before any memory is an error', () => {
    const parsed = parseImport([HEADER, ver(1), mem('m1', { createdAt: 1767225600000, updatedAt: '2026-01-01T00:00:01.5Z' })], 'cairn', NOW);
    expect(parsed.errors).toEqual([{ line: 2, message: 'a version line must follow its memory line' }]);
    expect(parsed.memories[0]).toMatchObject({ createdAt: 1767225600000, updatedAt: 1767225601500 });
  });

  it('writes metadata with sorted keys, so key order in storage never changes the bytes', () => {
    const line = memoryLine({ id: 'm', content: 'c', metadata: { b: 1, a: { d: [{ y: 1, x: 2 }], c: 0 } }, state: 'active', createdAt: 0, updatedAt: 0, authorEmail: 'a@b', appName: 'x' });
    expect(line).toBe('{"type":"memory","id":"m","content":"c","metadata":{"a":{"c":0,"d":[{"x":2,"y":1}]},"b":1},"state":"active","createdAt":"1970-01-01T00:00:00.000Z","updatedAt":"1970-01-01T00:00:00.000Z","author":"a@b","app":"x"}');
    expect(canonical([{ b: 1, a: 2 }])).toEqual([{ a: 2, b: 1 }]);
  });
});

describe('OpenMemory / mem0', () => {
  it('reads a bare array, {"memories": [...]} and JSONL, with the same derived ids', () => {
    const items = [{ id: 'x1', content: 'Likes tea', state: 'archived', created_at: 1700000000 }, { memory: 'No id here' }];
    const bare = parseImport([JSON.stringify(items)], 'auto', NOW);
    const wrapped = parseImport(JSON.stringify({ memories: items }, null, 2).split('\n'), 'openmemory', NOW);
    const lines = parseImport(items.map((i) => JSON.stringify(i)), 'openmemory', NOW);
    for (const p of [bare, wrapped, lines]) {
      expect(p.errors).toEqual([]);
      expect(p.memories.map((m) => m.id)).toEqual([derivedId('openmemory:x1'), derivedId('openmemory:content:No id here')]);
    }
    // Seconds since the epoch, as Python's time.time() writes them; a missing time is the import's.
    expect(bare.memories[0]).toMatchObject({ state: 'archived', createdAt: 1700000000 * 1000, metadata: { source: 'openmemory', openmemory: { id: 'x1' } } });
    expect(bare.memories[1]).toMatchObject({ createdAt: NOW, updatedAt: NOW, authorEmail: null, appName: null });
  });

  it('names the item of a JSON document that is bad, and a line of JSONL', () => {
    expect(parseImport([JSON.stringify({ results: [{ memory: 'ok' }, { memory: '' }, { memory: 'x', state: 'frozen' }] })], 'auto', NOW).errors).toEqual([
      { line: 1, message: 'results[1]: invalid memory: must not be empty' },
      { line: 1, message: 'results[2]: invalid state "frozen" (expected active, paused, archived or deleted)' },
    ]);
    expect(parseImport(['{"memory":"ok"}', '{"memory":'], 'openmemory', NOW).errors).toEqual([{ line: 2, message: expect.stringMatching(/^invalid JSON/) }]);
  });
});
