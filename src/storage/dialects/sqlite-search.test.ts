import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3Driver from 'better-sqlite3';
import type BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WorkspaceScope } from '../../core/memories/memory-store.js';
import { analyseQuery, NAME_BOOST } from '../../core/search/query.js';
import { auditEvent, createTenant, newMemory, openFixture, T0, type StoreFixture, type Tenant } from '../conformance/fixture.js';
import { openStorage } from '../db.js';
import { COMMON_MIN_ROWS, COMMON_SHARE, kthLargest } from './sqlite.js';

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

/**
 * The search as it was written in SQL before it ranked in TypeScript (one statement: the arms of every
 * term UNION ALL'ed, joined with memories, sorted, LIMIT), kept here as the reference the faster search
 * must agree with, row for row and score for score.
 */
function referenceSearch(raw: BetterSqlite3.Database, workspaceId: string, text: string, limit: number): { id: string; score: number }[] {
  const { terms, names } = analyseQuery(text);
  if (terms.length === 0) return [];
  const anyOf = (ts: readonly string[]) => ts.map((t) => `"${t}"`).join(' OR ');
  const total = Number((raw.prepare('SELECT max(seq) AS n FROM memories').get() as { n: number }).n);
  const threshold = Math.max(COMMON_MIN_ROWS, COMMON_SHARE * total);
  const count = (t: string, cap: number) => Number((raw.prepare('SELECT count(*) AS n FROM (SELECT 1 FROM memories_fts WHERE memories_fts MATCH ? LIMIT ?)').get(`"${t}"`, cap) as { n: number }).n);
  const params: unknown[] = [];
  let hits = `SELECT rowid AS seq, bm25(memories_fts) AS rank FROM memories_fts WHERE memories_fts MATCH ?`;
  const counted = terms.map((t) => ({ t, n: count(t, Math.floor(threshold) + 1) })).sort((a, b) => a.n - b.n);
  const rare = total <= threshold ? terms : counted.filter(({ n }, i) => i === 0 || n <= threshold).map(({ t }) => t);
  if (rare.length === terms.length) params.push(anyOf(terms));
  else {
    const common = terms.filter((t) => !rare.includes(t));
    const subjects = names.filter((n) => !rare.includes(n)).map((n) => `^"${n}"`);
    const candidates = [anyOf(rare), ...subjects].join(' OR ');
    const arms = ['SELECT seq, s FROM (SELECT rowid AS seq, -bm25(memories_fts) AS s FROM memories_fts WHERE memories_fts MATCH ? LIMIT -1)'];
    params.push(anyOf(rare));
    if (subjects.length > 0) {
      arms.push('SELECT rowid, 0 FROM memories_fts WHERE memories_fts MATCH ?');
      params.push(subjects.join(' OR '));
    }
    for (const term of common) {
      const n = count(term, total + 1);
      arms.push('SELECT rowid, ? FROM memories_fts WHERE memories_fts MATCH ?');
      params.push(Math.max(1e-6, Math.log((total - n + 0.5) / (n + 0.5))), `(${candidates}) AND "${term}"`);
    }
    hits = `SELECT seq, -sum(s) AS rank FROM (${arms.join(' UNION ALL ')}) GROUP BY seq`;
  }
  const boost = names.length === 0 ? '1' : `(CASE WHEN ${names.map(() => `(m.content LIKE ? AND substr(m.content, ?, 1) NOT GLOB '[A-Za-z0-9]')`).join(' OR ')} THEN ${1 + NAME_BOOST} ELSE 1 END)`;
  const boostParams = names.flatMap((n) => [`${n}%`, n.length + 1]);
  return raw
    .prepare(
      `SELECT m.id AS id, -f.rank * ${boost} AS score FROM (${hits}) f CROSS JOIN memories m WHERE m.seq = f.seq AND m.workspace_id = ? AND m.state = 'active' ` +
        'ORDER BY score DESC, m.updated_at DESC, m.seq DESC LIMIT ?',
    )
    .all(...boostParams, ...params, workspaceId, limit) as { id: string; score: number }[];
}

describe('SQLite search agrees with the one-statement reference', () => {
  let f: StoreFixture;
  let raw: BetterSqlite3.Database;
  let ada: Tenant;
  let bob: Tenant;
  let cyd: Tenant;
  const scope = (t: Tenant): WorkspaceScope => ({ workspaceId: t.workspace.id });
  const search = async (t: Tenant, text: string, limit = 10) => (await f.memories.search(scope(t), { text, limit, states: ['active'] })).map((h) => ({ id: h.memory.id, score: h.score }));
  const expectSame = async (t: Tenant, text: string, limit = 10) => {
    const got = await search(t, text, limit);
    const want = referenceSearch(raw, t.workspace.id, text, limit);
    expect(got.map((h) => h.id), text).toEqual(want.map((h) => h.id));
    for (const [i, h] of got.entries()) expect(h.score, text).toBeCloseTo(want[i]!.score, 9);
    return got;
  };
  // Common words (each in about 15% of the memories, far more than COMMON_MIN_ROWS), rare ones (each in
  // about 15), filler, and speakers as names.
  const COMMON = ['coffee', 'morning', 'walk', 'garden', 'friends', 'music'];
  const RARE = ['violin', 'lighthouse', 'origami', 'volcano', 'saxophone', 'glacier', 'tarot', 'kayak', 'pottery', 'comet', 'falafel', 'quilt', 'sonnet', 'mosaic', 'tundra', 'banjo', 'canyon', 'geyser', 'sphinx', 'lantern', 'meteor', 'walrus', 'oboe', 'fjord', 'marble', 'cactus', 'harbor', 'puzzle', 'lagoon', 'ember'];
  const FILLER = Array.from({ length: 150 }, (_, i) => `w${i}x`);
  const SPEAKERS = ['Caroline', 'Melanie', 'Jon', 'Gina'];

  beforeEach(async () => {
    f = await openFixture(async () => openStorage({ dialect: 'sqlite', path: ':memory:' }));
    raw = f.storage.sqlite!;
    ada = await createTenant(f, 'ada@example.com');
    bob = await createTenant(f, 'bob@example.com');
    cyd = await createTenant(f, 'cyd@example.com');
    // mulberry32: a fixed, well-mixed sequence.
    let state = 12345;
    const random = () => {
      state = (state + 0x6d2b79f5) | 0;
      let t = Math.imul(state ^ (state >>> 15), 1 | state);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const pick = <T,>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
    const text = (i: number) => {
      const words = Array.from({ length: 2 + Math.floor(random() * 6) }, () => pick(FILLER));
      for (const c of COMMON) if (random() < 0.15) words.splice(Math.floor(random() * words.length), 0, ...(random() < 0.2 ? [c, c] : [c]));
      if (random() < 0.35) words.splice(Math.floor(random() * words.length), 0, pick(RARE));
      const body = `${words.join(' ')} number ${i}`;
      // Speaker turns, mentions and plain notes, as in LoCoMo.
      const shape = random();
      return shape < 0.4 ? `${pick(SPEAKERS)}: ${body}` : shape < 0.7 ? `note about ${pick(SPEAKERS)}, ${body}` : body;
    };
    const add = (t: Tenant, contents: string[]) =>
      f.memories.insertMany(
        scope(t),
        // Three different times, so equal scores are ordered by updated_at and then by insertion.
        contents.map((c, i) => newMemory(t, c, { now: T0 + (i % 3) * 1000 })),
        (m) => auditEvent('memory.create', { workspaceId: m.workspaceId, targetId: m.id, at: m.createdAt }),
      );
    await add(ada, [...Array.from({ length: 900 }, (_, i) => text(i)), 'a zebra at the zoo', 'Caroline: a zebra again', 'zebra and coffee']);
    await add(bob, Array.from({ length: 300 }, (_, i) => text(900 + i)));
    // Another workspace whose memories outrank ada's on "zebra" (a rare term), more of them than the first
    // read of a search takes: they must be skipped.
    await add(cyd, Array.from({ length: 45 }, (_, i) => `zebra zebra ${i}`));
  });
  afterEach(async () => {
    await f.storage.close();
  });

  const QUESTIONS = [
    'zebra coffee',
    'Did Caroline play the violin in the morning?',
    'Does Melanie like pottery, a comet or falafel with friends?',
    'What does Melanie like about the garden and music?',
    'morning walk with friends',
    // Every term common: the rarest one finds.
    'coffee music',
    'Caroline coffee',
    'When did Jon and Gina see the glacier or a volcano?',
    'volcano coffee morning walk garden',
    'lighthouse origami saxophone tarot',
    'w1x w2x w3x coffee',
    'zebra',
    'number 17',
    'Gina',
    'nothing matches qqqzzz',
  ];

  it('returns the same memories with the same scores, whatever the mix of rare terms, common terms and names', async () => {
    for (const q of QUESTIONS) {
      await expectSame(ada, q);
      await expectSame(ada, q, 3);
      await expectSame(bob, q, 25);
    }
  });

  it('never returns another workspace memory, even when more than a first read outrank the workspace own', async () => {
    for (const limit of [1, 3, 10, 50]) {
      const hits = await expectSame(ada, 'zebra', limit);
      expect(hits.length).toBe(Math.min(limit, 3));
      const own = new Set(raw.prepare('SELECT id FROM memories WHERE workspace_id = ?').pluck().all(ada.workspace.id) as string[]);
      expect(hits.every((h) => own.has(h.id))).toBe(true);
    }
    expect(await search(cyd, 'zebra', 200)).toHaveLength(45);
  });

  it('returns nothing for a workspace without a match while other workspaces have many', async () => {
    expect(referenceSearch(raw, ada.workspace.id, 'Did Caroline play the violin in the morning?', 10).length).toBeGreaterThan(0);
    expect(await search(cyd, 'Did Caroline play the violin in the morning?')).toEqual([]);
    expect(await search(cyd, 'coffee music')).toEqual([]);
  });

  it('sizes its first read by the share of candidates the workspace admitted before, with the same results', async () => {
    // Counts the scoped reads (the only statements over json_each) of each search.
    const proto = Object.getPrototypeOf(raw.prepare('SELECT 1')) as { all: (...args: unknown[]) => unknown[] };
    const all = proto.all;
    let reads = 0;
    proto.all = function (this: { source: string }, ...args: unknown[]) {
      if (this.source.includes('json_each')) reads++;
      return all.apply(this, args);
    };
    try {
      const readsFor = async (text: string) => {
        reads = 0;
        await expectSame(bob, text, 10);
        return reads;
      };
      // bob holds a quarter of the memories: a first read of 16 candidates admits about 4 of the 10 wanted.
      const question = 'Does Melanie like pottery, a comet or falafel with friends?';
      expect(await readsFor(question)).toBeGreaterThan(1);
      for (const q of QUESTIONS) await expectSame(bob, q, 10);
      // Having learned the share, one read finds the top 10.
      expect(await readsFor(question)).toBe(1);
      // What ada's searches teach (three quarters) does not shrink bob's first read.
      for (const q of QUESTIONS) await expectSame(ada, q, 10);
      expect(await readsFor(question)).toBe(1);
    } finally {
      proto.all = all;
    }
  });

  it('sees additions, changes and deletions at once: cached doclists are dropped when the index changes', async () => {
    const first = await expectSame(ada, 'zebra coffee', 20);
    // Change the best hit so it no longer holds a common term, and a memory without "coffee" so it does.
    const [best] = first;
    const without = raw.prepare(`SELECT id, content FROM memories WHERE workspace_id = ? AND content LIKE '%zebra%' AND content NOT LIKE '%coffee%' LIMIT 1`).get(ada.workspace.id) as { id: string; content: string };
    const update = (id: string, content: string) =>
      f.memories.update(scope(ada), id, { content, contentHash: `h-${content}`, now: T0 + 10_000 }, auditEvent('memory.update', { workspaceId: ada.workspace.id, targetId: id }));
    expect((await update(best!.id, 'zebra walk')).ok).toBe(true);
    expect((await update(without.id, `${without.content} coffee`)).ok).toBe(true);
    const second = await expectSame(ada, 'zebra coffee', 20);
    expect(second.map((h) => h.id)).not.toEqual(first.map((h) => h.id));
    await f.memories.insertMany(scope(ada), [newMemory(ada, 'zebra coffee coffee, brand new')], (m) => auditEvent('memory.create', { workspaceId: m.workspaceId, targetId: m.id }));
    const third = await expectSame(ada, 'zebra coffee', 20);
    await f.memories.deleteMany(scope(ada), { ids: [third[0]!.id] }, T0 + 20_000, () => auditEvent('memory.delete', { workspaceId: ada.workspace.id }));
    const fourth = await expectSame(ada, 'zebra coffee', 20);
    expect(fourth.map((h) => h.id)).not.toContain(third[0]!.id);
    // A row removed from the index (as a purge does), including one that began with a name.
    raw.prepare('DELETE FROM memories WHERE id = ?').run(fourth[0]!.id);
    const named = raw.prepare(`SELECT id FROM memories WHERE workspace_id = ? AND content LIKE 'Caroline:%' LIMIT 1`).pluck().get(ada.workspace.id) as string;
    await expectSame(ada, 'Caroline coffee', 20);
    raw.prepare('DELETE FROM memories WHERE id = ?').run(named);
    expect((await expectSame(ada, 'Caroline coffee', 20)).map((h) => h.id)).not.toContain(named);
    await expectSame(ada, 'zebra coffee', 20);
  });
});

describe('SQLite search after another connection writes', () => {
  it('drops its cached doclists when another connection changes the index', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cairn-search-'));
    const f = await openFixture(async () => openStorage({ dialect: 'sqlite', path: join(dir, 'cairn.db') }));
    const other = new BetterSqlite3Driver(join(dir, 'cairn.db'));
    try {
      const ada = await createTenant(f, 'ada@example.com');
      const contents = [
        // "coffee" is common (in more than COMMON_MIN_ROWS memories) but weighs (in a fifth of them).
        ...Array.from({ length: COMMON_MIN_ROWS + 5 }, (_, i) => `coffee note ${i}`),
        ...Array.from({ length: 4 * COMMON_MIN_ROWS }, (_, i) => `tea note number ${i} today`),
        'zebra at the zoo',
        'zebra with coffee',
      ];
      await f.memories.insertMany({ workspaceId: ada.workspace.id }, contents.map((c) => newMemory(ada, c)), (m) => auditEvent('memory.create', { workspaceId: m.workspaceId, targetId: m.id }));
      const search = async () => (await f.memories.search({ workspaceId: ada.workspace.id }, { text: 'zebra coffee', limit: 10, states: ['active'] })).map((h) => h.memory.content);
      expect(await search()).toEqual(['zebra with coffee', 'zebra at the zoo']);
      // Another process (a CLI, a second server) moves "coffee" from one memory to the other.
      other.prepare('UPDATE memories SET content = ? WHERE content = ?').run('zebra with tea', 'zebra with coffee');
      other.prepare('UPDATE memories SET content = ? WHERE content = ?').run('zebra at the zoo, coffee', 'zebra at the zoo');
      expect(await search()).toEqual(['zebra at the zoo, coffee', 'zebra with tea']);
    } finally {
      other.close();
      await f.storage.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('SQLite search when the database is gone', () => {
  it('fails with UNAVAILABLE, as the Kysely driver would map it', async () => {
    const f = await openFixture(async () => openStorage({ dialect: 'sqlite', path: ':memory:' }));
    const ada = await createTenant(f, 'ada@example.com');
    f.storage.sqlite!.close();
    await expect(f.memories.search({ workspaceId: ada.workspace.id }, { text: 'coffee', limit: 10, states: ['active'] })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });
});

describe('kthLargest', () => {
  it('finds the k-th largest value, with duplicates, for every k', () => {
    let state = 7;
    const random = () => (state = (state * 48271) % 2147483647) / 2147483647;
    for (const n of [1, 2, 3, 10, 101]) {
      const values = Array.from({ length: n }, () => Math.floor(random() * 8) / 2);
      const sorted = [...values].sort((a, b) => b - a);
      for (let k = 1; k <= n; k++) expect(kthLargest(Float64Array.from(values), k)).toBe(sorted[k - 1]);
    }
  });
});
