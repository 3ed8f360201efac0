import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WorkspaceScope } from '../../core/memories/memory-store.js';
import { auditEvent, createTenant, newMemory, openFixture, type StoreFixture, type Tenant } from '../conformance/fixture.js';
import { openStorage } from '../db.js';
import { COMMON_MIN_ROWS } from './sqlite.js';

/**
 * SQLite's search once the index is large enough for common terms (docs/search.md, "Rare terms find, common
 * terms weigh"): more than COMMON_MIN_ROWS memories contain "coffee" and "caroline", none contains "drink".
 */
describe('SQLite search with common terms', () => {
  let f: StoreFixture;
  let ada: Tenant;
  let bob: Tenant;
  const scope = (t: Tenant): WorkspaceScope => ({ workspaceId: t.workspace.id });
  const add = (t: Tenant, contents: string[]) =>
    f.memories.insertMany(scope(t), contents.map((c) => newMemory(t, c)), (m) => auditEvent('memory.create', { workspaceId: m.workspaceId, targetId: m.id, at: m.createdAt }));
  const search = async (t: Tenant, text: string) => (await f.memories.search(scope(t), { text, limit: 10, states: ['active'] })).map((h) => h.memory.content);

  beforeEach(async () => {
    f = await openFixture(async () => openStorage({ dialect: 'sqlite', path: ':memory:' }));
    ada = await createTenant(f, 'ada@example.com');
    bob = await createTenant(f, 'bob@example.com');
    const filler = (n: number, text: (i: number) => string) => Array.from({ length: n }, (_, i) => text(i));
    await add(ada, [
      ...filler(4 * COMMON_MIN_ROWS, (i) => `Mel: coffee talk number ${i}`),
      ...filler(COMMON_MIN_ROWS + 10, (i) => `Caroline: tea time number ${i}`),
      'Caroline: coffee again, black',
      'Mel: Caroline had a coffee',
      'Mel: a zebra at the zoo',
      'Mel: a zebra with coffee',
    ]);
    await add(bob, ['Caroline: coffee drink from the other workspace', 'Bob: a zebra drink']);
  });
  afterEach(async () => {
    await f.storage.close();
  });

  it('ranks a memory with the rare term and a common one above the rare term alone, and above the common one alone', async () => {
    const hits = await search(ada, 'zebra coffee');
    expect(hits.slice(0, 2)).toEqual(['Mel: a zebra with coffee', 'Mel: a zebra at the zoo']);
    // "coffee" is common: it weighs, but memories with nothing else are not candidates.
    expect(hits).toHaveLength(2);
  });

  it('finds the memories that begin with a name of the question, weighed by the common terms they contain', async () => {
    const hits = await search(ada, 'Does Caroline drink coffee?');
    expect(hits[0]).toBe('Caroline: coffee again, black');
    expect(hits.slice(1).every((c) => c.startsWith('Caroline: tea time'))).toBe(true);
    // A mere mention with common words only is not a candidate.
    expect(hits).not.toContain('Mel: Caroline had a coffee');
  });

  it('never returns another workspace memory, whichever terms are common', async () => {
    expect((await search(ada, 'Does Caroline drink coffee?')).some((c) => c.includes('other workspace'))).toBe(false);
    expect((await search(ada, 'zebra drink')).sort()).toEqual(['Mel: a zebra at the zoo', 'Mel: a zebra with coffee']);
    expect(await search(bob, 'Does Caroline drink coffee?')).toEqual(['Caroline: coffee drink from the other workspace', 'Bob: a zebra drink']);
  });
});
