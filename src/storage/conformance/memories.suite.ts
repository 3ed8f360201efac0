import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { Memory } from '../../core/memories/memory.js';
import type { InsertOutcome, NewMemory, WorkspaceScope } from '../../core/memories/memory-store.js';
import { auditEvent, createTenant, newMemory, T0, useFixture, type StorageFactory, type StoreFixture, type Tenant } from './fixture.js';

const scopeOf = (t: Tenant): WorkspaceScope => ({ workspaceId: t.workspace.id });

async function insert(f: StoreFixture, t: Tenant, items: NewMemory[]): Promise<InsertOutcome[]> {
  return f.memories.insertMany(scopeOf(t), items, (m) => auditEvent('memory.create', { workspaceId: m.workspaceId, targetId: m.id, at: m.createdAt }));
}

async function add(f: StoreFixture, t: Tenant, content: string, over: Parameters<typeof newMemory>[2] = {}): Promise<Memory> {
  const [outcome] = await insert(f, t, [newMemory(t, content, over)]);
  return outcome!.memory;
}

async function auditActions(f: StoreFixture, t: Tenant): Promise<string[]> {
  return (await f.audit.listForWorkspace(t.workspace.id, 100)).map((e) => e.action);
}

/** The memory store contract (core/memories/memory-store.ts) on a real database. */
export function runMemoriesSuite(factory: StorageFactory): void {
  // One describe per suite, so its beforeEach/afterEach hooks run for its own tests only.
  describe('memory store', () => {
    const fixture = useFixture(factory);

    describe('memories: insert and content-hash dedupe', () => {
      it('inserts a memory and reads back every field, with its app name', async () => {
        const f = fixture();
        const ada = await createTenant(f, 'ada@example.com');
        const item = newMemory(ada, 'prefers tabs over spaces', { metadata: { source: 'chat', tags: ['style'], n: 3 } });
        const [outcome] = await insert(f, ada, [item]);
        expect(outcome!.created).toBe(true);
        const expected: Memory = {
          id: item.id,
          workspaceId: ada.workspace.id,
          authorUserId: ada.user.id,
          appId: ada.app.id,
          appName: 'notes-cli',
          content: 'prefers tabs over spaces',
          metadata: { source: 'chat', tags: ['style'], n: 3 },
          state: 'active',
          contentHash: item.contentHash,
          createdAt: T0,
          updatedAt: T0,
        };
        expect(outcome!.memory).toEqual(expected);
        expect(await f.memories.get(scopeOf(ada), item.id)).toEqual(expected);
        expect(await auditActions(f, ada)).toEqual(['memory.create', 'user.create']);
      });

      it('returns the existing memory with created: false when the same content is added again in the workspace', async () => {
        const f = fixture();
        const ada = await createTenant(f, 'ada@example.com');
        const first = await add(f, ada, 'the staging db is on port 5433');
        const [again] = await insert(f, ada, [newMemory(ada, 'the staging db is on port 5433', { now: T0 + 1000, metadata: { other: true } })]);
        expect(again).toEqual({ created: false, memory: first });
        expect(await f.memories.count(scopeOf(ada))).toEqual({ active: 1, archived: 0, deleted: 0 });
        // Only the real insert is audited.
        expect((await auditActions(f, ada)).filter((a) => a === 'memory.create')).toHaveLength(1);
      });

      it('dedupes a duplicate inside one batch against the first copy', async () => {
        const f = fixture();
        const ada = await createTenant(f, 'ada@example.com');
        const [a, b, c] = await insert(f, ada, [newMemory(ada, 'one'), newMemory(ada, 'two'), newMemory(ada, 'one')]);
        expect([a!.created, b!.created, c!.created]).toEqual([true, true, false]);
        expect(c!.memory.id).toBe(a!.memory.id);
      });

      it('treats an archived memory as present, so its content is not added twice', async () => {
        const f = fixture();
        const ada = await createTenant(f, 'ada@example.com');
        const m = await add(f, ada, 'archived fact');
        await f.memories.update(scopeOf(ada), m.id, { state: 'archived', now: T0 + 1 }, auditEvent('memory.update'));
        const [again] = await insert(f, ada, [newMemory(ada, 'archived fact')]);
        expect(again!.created).toBe(false);
        expect(again!.memory.id).toBe(m.id);
        expect(again!.memory.state).toBe('archived');
      });

      it('does not dedupe across workspaces: the same text in two workspaces is two memories', async () => {
        const f = fixture();
        const ada = await createTenant(f, 'ada@example.com');
        const bob = await createTenant(f, 'bob@example.com');
        const a = await add(f, ada, 'shared wording');
        const [b] = await insert(f, bob, [newMemory(bob, 'shared wording')]);
        expect(b!.created).toBe(true);
        expect(b!.memory.id).not.toBe(a.id);
        expect(b!.memory.workspaceId).toBe(bob.workspace.id);
      });

      it('lets deleted content be added again as a new memory', async () => {
        const f = fixture();
        const ada = await createTenant(f, 'ada@example.com');
        const old = await add(f, ada, 'comes back later');
        expect(await f.memories.deleteMany(scopeOf(ada), { ids: [old.id] }, T0 + 1, () => auditEvent('memory.delete'))).toBe(1);
        const [again] = await insert(f, ada, [newMemory(ada, 'comes back later', { now: T0 + 2 })]);
        expect(again!.created).toBe(true);
        expect(again!.memory.id).not.toBe(old.id);
        // Deleted twice over is still fine: two deleted copies and one live one.
        await f.memories.deleteMany(scopeOf(ada), { ids: [again!.memory.id] }, T0 + 3, () => auditEvent('memory.delete'));
        const [third] = await insert(f, ada, [newMemory(ada, 'comes back later', { now: T0 + 4 })]);
        expect(third!.created).toBe(true);
        expect(await f.memories.count(scopeOf(ada))).toEqual({ active: 1, archived: 0, deleted: 2 });
      });
    });

    describe('memories: every read is scoped to one workspace', () => {
      it('get, list, search, update and delete do not see another workspace memory', async () => {
        const f = fixture();
        const ada = await createTenant(f, 'ada@example.com');
        const bob = await createTenant(f, 'bob@example.com');
        const secret = await add(f, ada, 'ada keeps the launch codes in the blue folder');
        await add(f, bob, 'bob likes the blue folder too');

        expect(await f.memories.get(scopeOf(bob), secret.id)).toBeUndefined();
        const bobList = await f.memories.list(scopeOf(bob), { limit: 50, states: ['active', 'archived', 'deleted'] });
        expect(bobList.map((m) => m.workspaceId)).toEqual([bob.workspace.id]);
        const hits = await f.memories.search(scopeOf(bob), { text: 'launch codes blue folder', limit: 10, states: ['active'] });
        expect(hits.map((h) => h.memory.workspaceId)).toEqual([bob.workspace.id]);

        const update = await f.memories.update(scopeOf(bob), secret.id, { content: 'hijacked', contentHash: 'x', now: T0 + 1 }, auditEvent('memory.update'));
        expect(update).toEqual({ ok: false, reason: 'NOT_FOUND' });
        expect(await f.memories.deleteMany(scopeOf(bob), { ids: [secret.id] }, T0 + 1, () => auditEvent('memory.delete'))).toBe(0);
        expect(await f.memories.get(scopeOf(ada), secret.id)).toEqual(secret);
      });
    });

    describe('memories: list order, cursor and filters', () => {
      it('lists newest first and continues after a cursor without repeating or skipping', async () => {
        const f = fixture();
        const ada = await createTenant(f, 'ada@example.com');
        const added: Memory[] = [];
        for (let i = 0; i < 7; i++) added.push(await add(f, ada, `fact ${i}`, { now: T0 + i * 1000 }));
        const newestFirst = [...added].reverse().map((m) => m.id);
        const seen: string[] = [];
        let cursor: { createdAt: number; id: string } | undefined;
        for (let page = 0; page < 5; page++) {
          const rows = await f.memories.list(scopeOf(ada), { limit: 3, states: ['active'], ...(cursor ? { cursor } : {}) });
          if (rows.length === 0) break;
          seen.push(...rows.map((m) => m.id));
          const last = rows[rows.length - 1]!;
          cursor = { createdAt: last.createdAt, id: last.id };
        }
        expect(seen).toEqual(newestFirst);
      });

      it('breaks ties on creation time by id, so pages stay disjoint', async () => {
        const f = fixture();
        const ada = await createTenant(f, 'ada@example.com');
        const outcomes = await insert(f, ada, Array.from({ length: 6 }, (_, i) => newMemory(ada, `same instant ${i}`)));
        const byIdDesc = outcomes.map((o) => o.memory.id).sort().reverse();
        const first = await f.memories.list(scopeOf(ada), { limit: 4, states: ['active'] });
        const last = first[first.length - 1]!;
        const second = await f.memories.list(scopeOf(ada), { limit: 4, states: ['active'], cursor: { createdAt: last.createdAt, id: last.id } });
        expect([...first, ...second].map((m) => m.id)).toEqual(byIdDesc);
      });

      it('filters by app, author, state, since (inclusive) and until (exclusive)', async () => {
        const f = fixture();
        const ada = await createTenant(f, 'ada@example.com');
        const other = await f.apps.ensure(ada.workspace.id, 'cursor-ide', T0);
        const a0 = await add(f, ada, 'a0', { now: T0 });
        const a1 = await add(f, ada, 'a1', { now: T0 + 1000, appId: other.id });
        const a2 = await add(f, ada, 'a2', { now: T0 + 2000 });
        const a3 = await add(f, ada, 'a3', { now: T0 + 3000 });
        await f.memories.update(scopeOf(ada), a3.id, { state: 'archived', now: T0 + 4000 }, auditEvent('memory.update'));
        const ids = async (q: Parameters<StoreFixture['memories']['list']>[1]) => (await f.memories.list(scopeOf(ada), q)).map((m) => m.id);

        expect(await ids({ limit: 10, states: ['active'] })).toEqual([a2.id, a1.id, a0.id]);
        expect(await ids({ limit: 10, states: ['archived'] })).toEqual([a3.id]);
        expect(await ids({ limit: 10, states: ['active', 'archived'] })).toEqual([a3.id, a2.id, a1.id, a0.id]);
        expect(await ids({ limit: 10, states: ['active'], appId: other.id })).toEqual([a1.id]);
        expect(await ids({ limit: 10, states: ['active'], appId: ada.app.id })).toEqual([a2.id, a0.id]);
        expect(await ids({ limit: 10, states: ['active'], since: T0 + 1000 })).toEqual([a2.id, a1.id]);
        expect(await ids({ limit: 10, states: ['active'], until: T0 + 2000 })).toEqual([a1.id, a0.id]);
        expect(await ids({ limit: 10, states: ['active'], since: T0 + 1000, until: T0 + 2000 })).toEqual([a1.id]);
        expect(await ids({ limit: 10, states: ['active'], authorUserId: ada.user.id })).toEqual([a2.id, a1.id, a0.id]);
        expect(await ids({ limit: 10, states: ['active'], authorUserId: 'usr_nobody' })).toEqual([]);
        expect(await ids({ limit: 2, states: ['active'] })).toEqual([a2.id, a1.id]);
      });
    });

    describe('memories: search', () => {
      it('ranks a memory that matches more of the query terms above one that matches fewer', async () => {
        const f = fixture();
        const ada = await createTenant(f, 'ada@example.com');
        const one = await add(f, ada, 'postgres runs on the old server', { now: T0 + 3000 });
        const all = await add(f, ada, 'postgres backup schedule is nightly', { now: T0 });
        const two = await add(f, ada, 'postgres backup goes to the bucket', { now: T0 + 2000 });
        await add(f, ada, 'nothing relevant in here', { now: T0 + 4000 });
        const hits = await f.memories.search(scopeOf(ada), { text: 'postgres backup schedule', limit: 10, states: ['active'] });
        expect(hits.map((h) => h.memory.id)).toEqual([all.id, two.id, one.id]);
        expect(hits[0]!.score).toBeGreaterThan(hits[1]!.score);
        expect(hits[1]!.score).toBeGreaterThan(hits[2]!.score);
        expect(hits.every((h) => typeof h.score === 'number' && Number.isFinite(h.score))).toBe(true);
      });

      it('ranks a match on a rare term above a match on a term most memories contain', async () => {
        const f = fixture();
        const ada = await createTenant(f, 'ada@example.com');
        for (let i = 0; i < 8; i++) await add(f, ada, `meeting notes number ${i} about planning`, { now: T0 + i });
        const common = await add(f, ada, 'meeting with the team', { now: T0 + 100 });
        const rare = await add(f, ada, 'kubernetes with the team', { now: T0 });
        const hits = await f.memories.search(scopeOf(ada), { text: 'meeting kubernetes', limit: 20, states: ['active'] });
        const order = hits.map((h) => h.memory.id);
        expect(order[0]).toBe(rare.id);
        expect(order).toContain(common.id);
      });

      it('breaks a tie in relevance by recency (most recently updated first)', async () => {
        const f = fixture();
        const ada = await createTenant(f, 'ada@example.com');
        const older = await add(f, ada, 'alpha note: deploy with make', { now: T0 });
        const newer = await add(f, ada, 'gamma note: deploy with make', { now: T0 + 1000 });
        const search = async () => (await f.memories.search(scopeOf(ada), { text: 'deploy', limit: 10, states: ['active'] })).map((h) => h.memory.id);
        expect(await search()).toEqual([newer.id, older.id]);
        // Touching the older one (metadata only: same text, same relevance) makes it the more recent.
        await f.memories.update(scopeOf(ada), older.id, { metadata: { pinned: true }, now: T0 + 2000 }, auditEvent('memory.update'));
        expect(await search()).toEqual([older.id, newer.id]);
      });

      it('matches word forms (stemming) and ignores case', async () => {
        const f = fixture();
        const ada = await createTenant(f, 'ada@example.com');
        const m = await add(f, ada, 'She Deployed the services yesterday');
        const hits = await f.memories.search(scopeOf(ada), { text: 'DEPLOYING service', limit: 10, states: ['active'] });
        expect(hits.map((h) => h.memory.id)).toEqual([m.id]);
      });

      it('applies state, app and time filters and the limit to search results', async () => {
        const f = fixture();
        const ada = await createTenant(f, 'ada@example.com');
        const other = await f.apps.ensure(ada.workspace.id, 'cursor-ide', T0);
        const a = await add(f, ada, 'coffee order: flat white', { now: T0 });
        const b = await add(f, ada, 'coffee beans from the market', { now: T0 + 1000, appId: other.id });
        const c = await add(f, ada, 'coffee machine descaling', { now: T0 + 2000 });
        await f.memories.deleteMany(scopeOf(ada), { ids: [c.id] }, T0 + 3000, () => auditEvent('memory.delete'));
        const ids = async (q: Omit<Parameters<StoreFixture['memories']['search']>[1], 'text'>) =>
          (await f.memories.search(scopeOf(ada), { text: 'coffee', ...q })).map((h) => h.memory.id).sort();
        expect(await ids({ limit: 10, states: ['active'] })).toEqual([a.id, b.id].sort());
        expect(await ids({ limit: 10, states: ['deleted'] })).toEqual([c.id]);
        expect(await ids({ limit: 10, states: ['active'], appId: other.id })).toEqual([b.id]);
        expect(await ids({ limit: 10, states: ['active'], since: T0 + 500 })).toEqual([b.id]);
        expect(await ids({ limit: 10, states: ['active'], until: T0 + 1000 })).toEqual([a.id]);
        expect(await ids({ limit: 1, states: ['active'] })).toHaveLength(1);
      });

      it('finds updated content and no longer finds the replaced words', async () => {
        const f = fixture();
        const ada = await createTenant(f, 'ada@example.com');
        const m = await add(f, ada, 'the wifi password is hunter2');
        const next = 'the router was replaced';
        await f.memories.update(scopeOf(ada), m.id, { content: next, contentHash: newMemory(ada, next).contentHash, now: T0 + 1 }, auditEvent('memory.update'));
        const find = async (text: string) => (await f.memories.search(scopeOf(ada), { text, limit: 10, states: ['active'] })).map((h) => h.memory.id);
        expect(await find('hunter2')).toEqual([]);
        expect(await find('router')).toEqual([m.id]);
      });

      it('treats query syntax characters as plain text: no error, and the words still match', async () => {
        const f = fixture();
        const ada = await createTenant(f, 'ada@example.com');
        const m = await add(f, ada, 'rust async runtime: tokio vs smol');
        // [query, does it name a word of the memory?]. Operators of either dialect's query language must be
        // inert: neither an error nor a change in meaning (no prefix match, no negation, no phrase).
        const cases: [string, boolean][] = [
          ['tokio"', true],
          ['"tokio', true],
          ['tok*', false],
          ['tok:*', false],
          ['tokio*', true],
          ['runtime: tokio', true],
          ['tokio & smol', true],
          ['tokio | smol', true],
          ['!tokio', true],
          ['-tokio', true],
          ['(tokio', true],
          ['tokio)', true],
          ["tokio's", true],
          ['tokio\\', true],
          ['tokio <-> smol', true],
          ['tokio:A', true],
          ['NEAR(tokio smol)', true],
          ['tokio AND NOT smol', true],
          ['^tokio +smol', true],
          ["'; DROP TABLE memories; --", false],
          ['tokio\u0000smol', true],
          ['\u00bd \u00b2', false],
        ];
        for (const [text, matches] of cases) {
          const hits = await f.memories.search(scopeOf(ada), { text, limit: 10, states: ['active'] });
          expect({ text, ids: hits.map((h) => h.memory.id) }).toEqual({ text, ids: matches ? [m.id] : [] });
        }
        expect(await f.memories.count(scopeOf(ada))).toEqual({ active: 1, archived: 0, deleted: 0 });
      });

      it('ignores stop words: a memory sharing only "what", "did" and "the" with the question is not a match', async () => {
        const f = fixture();
        const ada = await createTenant(f, 'ada@example.com');
        const hit = await add(f, ada, 'the nightly backup runs at two');
        await add(f, ada, 'what did the cat do', { now: T0 + 1000 });
        const hits = await f.memories.search(scopeOf(ada), { text: 'What did the backup do?', limit: 10, states: ['active'] });
        expect(hits.map((h) => h.memory.id)).toEqual([hit.id]);
      });

      it('ranks a memory that begins with a name the question mentions above one that only mentions it', async () => {
        const f = fixture();
        const ada = await createTenant(f, 'ada@example.com');
        // The mention is shorter and newer, so without the name it would rank first on either database.
        const about = await add(f, ada, 'Caroline: I started painting sunsets at the lake', { now: T0 });
        const mentions = await add(f, ada, 'Mel: Caroline paints', { now: T0 + 1000 });
        const hits = await f.memories.search(scopeOf(ada), { text: 'What does Caroline paint?', limit: 10, states: ['active'] });
        expect(hits.map((h) => h.memory.id)).toEqual([about.id, mentions.id]);
      });

      it('returns nothing, without error, for a query with no searchable terms', async () => {
        const f = fixture();
        const ada = await createTenant(f, 'ada@example.com');
        await add(f, ada, 'something to find');
        for (const text of ['"', '***', ':', '&|!()', '   ', '"" OR ""', '<->']) {
          expect(await f.memories.search(scopeOf(ada), { text, limit: 10, states: ['active'] })).toEqual([]);
        }
      });
    });

    describe('memories: update', () => {
      it('changes content, metadata and state, and records the audit event in the same write', async () => {
        const f = fixture();
        const ada = await createTenant(f, 'ada@example.com');
        const m = await add(f, ada, 'first draft');
        const content = 'second draft';
        const hash = newMemory(ada, content).contentHash;
        const out = await f.memories.update(
          scopeOf(ada),
          m.id,
          { content, contentHash: hash, metadata: { v: 2 }, state: 'archived', now: T0 + 5000 },
          auditEvent('memory.update', { workspaceId: ada.workspace.id, targetId: m.id }),
        );
        expect(out).toEqual({ ok: true, memory: { ...m, content, contentHash: hash, metadata: { v: 2 }, state: 'archived', updatedAt: T0 + 5000 } });
        expect(await f.memories.get(scopeOf(ada), m.id)).toEqual(out.ok ? out.memory : undefined);
        expect((await auditActions(f, ada))[0]).toBe('memory.update');
      });

      it('refuses content that another live memory of the workspace already has, naming it, and changes nothing', async () => {
        const f = fixture();
        const ada = await createTenant(f, 'ada@example.com');
        const taken = await add(f, ada, 'taken text');
        const m = await add(f, ada, 'free text');
        const out = await f.memories.update(
          scopeOf(ada),
          m.id,
          { content: 'taken text', contentHash: taken.contentHash, metadata: { changed: true }, now: T0 + 1 },
          auditEvent('memory.update', { workspaceId: ada.workspace.id }),
        );
        expect(out).toEqual({ ok: false, reason: 'DUPLICATE', existingId: taken.id });
        expect(await f.memories.get(scopeOf(ada), m.id)).toEqual(m);
        expect((await auditActions(f, ada)).filter((a) => a === 'memory.update')).toEqual([]);
      });

      it('allows taking over the content of a deleted memory', async () => {
        const f = fixture();
        const ada = await createTenant(f, 'ada@example.com');
        const gone = await add(f, ada, 'gone text');
        const m = await add(f, ada, 'current text');
        await f.memories.deleteMany(scopeOf(ada), { ids: [gone.id] }, T0 + 1, () => auditEvent('memory.delete'));
        const out = await f.memories.update(scopeOf(ada), m.id, { content: 'gone text', contentHash: gone.contentHash, now: T0 + 2 }, auditEvent('memory.update'));
        expect(out.ok).toBe(true);
      });

      it('refuses to restore a deleted memory whose text is live again, naming the live copy', async () => {
        const f = fixture();
        const ada = await createTenant(f, 'ada@example.com');
        const old = await add(f, ada, 'twice');
        await f.memories.deleteMany(scopeOf(ada), { ids: [old.id] }, T0 + 1, () => auditEvent('memory.delete'));
        const live = await add(f, ada, 'twice', { now: T0 + 2 });
        const out = await f.memories.update(scopeOf(ada), old.id, { state: 'active', now: T0 + 3 }, auditEvent('memory.update'));
        expect(out).toEqual({ ok: false, reason: 'DUPLICATE', existingId: live.id });
      });

      it('reports NOT_FOUND for an unknown id', async () => {
        const f = fixture();
        const ada = await createTenant(f, 'ada@example.com');
        expect(await f.memories.update(scopeOf(ada), 'mem_missing', { state: 'archived', now: T0 }, auditEvent('memory.update'))).toEqual({ ok: false, reason: 'NOT_FOUND' });
      });
    });

    describe('memories: history', () => {
      it('records a version for the creation and each change, with its actor, newest first, in the same write', async () => {
        const f = fixture();
        const ada = await createTenant(f, 'ada@example.com');
        const m = await add(f, ada, 'first draft', { metadata: { v: 1 } });
        const other = await f.apps.ensure(ada.workspace.id, 'cursor-ide', T0);
        const actor = { workspaceId: ada.workspace.id, targetId: m.id, userId: ada.user.id, appId: other.id, credentialKind: 'api_key' as const, credentialId: 'key_1', requestId: 'req_9' };
        await f.memories.update(scopeOf(ada), m.id, { content: 'second draft', contentHash: newMemory(ada, 'second draft').contentHash, now: T0 + 10 }, auditEvent('memory.update', { ...actor, at: T0 + 10 }));
        await f.memories.update(scopeOf(ada), m.id, { state: 'archived', now: T0 + 20 }, auditEvent('memory.update', { ...actor, at: T0 + 20 }));
        await f.memories.deleteMany(scopeOf(ada), { ids: [m.id] }, T0 + 30, () => auditEvent('memory.delete', { ...actor, at: T0 + 30, requestId: 'req_10' }));
        const history = await f.memories.history(scopeOf(ada), m.id);
        expect(history.map((v) => [v.version, v.action, v.content, v.state, v.at])).toEqual([
          [4, 'delete', 'second draft', 'deleted', T0 + 30],
          [3, 'update', 'second draft', 'archived', T0 + 20],
          [2, 'update', 'second draft', 'active', T0 + 10],
          [1, 'create', 'first draft', 'active', T0],
        ]);
        expect(history[0]).toMatchObject({ metadata: { v: 1 }, userId: ada.user.id, app: { id: other.id, name: 'cursor-ide' }, credential: { kind: 'api_key', id: 'key_1' }, requestId: 'req_10' });
        // A refused change (a duplicate) writes no version.
        await add(f, ada, 'taken text');
        const n = await add(f, ada, 'free text');
        await f.memories.update(scopeOf(ada), n.id, { content: 'taken text', contentHash: newMemory(ada, 'taken text').contentHash, now: T0 + 40 }, auditEvent('memory.update'));
        expect((await f.memories.history(scopeOf(ada), n.id)).map((v) => v.version)).toEqual([1]);
      });

      it('gives a bulk delete a version per memory it deleted, and none to the ones it skipped', async () => {
        const f = fixture();
        const ada = await createTenant(f, 'ada@example.com');
        const ms = [await add(f, ada, 'one'), await add(f, ada, 'two'), await add(f, ada, 'three')];
        await f.memories.deleteMany(scopeOf(ada), { ids: [ms[0]!.id] }, T0 + 1, () => auditEvent('memory.delete'));
        expect(await f.memories.deleteMany(scopeOf(ada), {}, T0 + 2, () => auditEvent('memory.bulk_delete'))).toBe(2);
        expect((await f.memories.history(scopeOf(ada), ms[0]!.id)).map((v) => [v.version, v.at])).toEqual([[2, T0 + 1], [1, T0]]);
        for (const m of ms.slice(1)) expect((await f.memories.history(scopeOf(ada), m.id)).map((v) => [v.version, v.action, v.at])).toEqual([[2, 'delete', T0 + 2], [1, 'create', T0]]);
      });

      it('never shows another workspace a memory history', async () => {
        const f = fixture();
        const ada = await createTenant(f, 'ada@example.com');
        const bob = await createTenant(f, 'bob@example.com');
        const m = await add(f, ada, 'private');
        expect(await f.memories.history(scopeOf(bob), m.id)).toEqual([]);
        expect(await f.memories.history(scopeOf(ada), 'mem_missing')).toEqual([]);
        expect(await f.memories.history(scopeOf(ada), m.id)).toHaveLength(1);
      });
    });

    describe('memories: deleteMany and count', () => {
      async function seed(f: StoreFixture) {
        const ada = await createTenant(f, 'ada@example.com');
        const bob = await createTenant(f, 'bob@example.com');
        const other = await f.apps.ensure(ada.workspace.id, 'cursor-ide', T0);
        const m = [
          await add(f, ada, 'm0', { now: T0 }),
          await add(f, ada, 'm1', { now: T0 + 1000, appId: other.id }),
          await add(f, ada, 'm2', { now: T0 + 2000 }),
          await add(f, ada, 'm3', { now: T0 + 3000, appId: other.id }),
        ];
        const bobs = await add(f, bob, 'bob memory');
        return { ada, bob, other, m, bobs };
      }
      const audit = (count: number) => auditEvent('memory.bulk_delete', { detail: { count } });

      it('soft-deletes the given ids in the workspace only and counts what it deleted', async () => {
        const f = fixture();
        const { ada, bob, m, bobs } = await seed(f);
        const n = await f.memories.deleteMany(scopeOf(ada), { ids: [m[0]!.id, m[2]!.id, bobs.id, 'mem_unknown'] }, T0 + 9000, audit);
        expect(n).toBe(2);
        expect((await f.memories.get(scopeOf(ada), m[0]!.id))?.state).toBe('deleted');
        expect((await f.memories.get(scopeOf(ada), m[0]!.id))?.updatedAt).toBe(T0 + 9000);
        expect((await f.memories.get(scopeOf(bob), bobs.id))?.state).toBe('active');
        // Already deleted rows are not counted again.
        expect(await f.memories.deleteMany(scopeOf(ada), { ids: [m[0]!.id] }, T0 + 9001, audit)).toBe(0);
        expect(await f.memories.deleteMany(scopeOf(ada), { ids: [] }, T0 + 9001, audit)).toBe(0);
        expect(await f.memories.count(scopeOf(ada))).toEqual({ active: 2, archived: 0, deleted: 2 });
      });

      it('deletes by app and by time window', async () => {
        const f = fixture();
        const { ada, other, m } = await seed(f);
        expect(await f.memories.deleteMany(scopeOf(ada), { filters: { appId: other.id } }, T0 + 9000, audit)).toBe(2);
        expect(await f.memories.deleteMany(scopeOf(ada), { filters: { since: T0 + 2000, until: T0 + 3000 } }, T0 + 9000, audit)).toBe(1);
        const live = await f.memories.list(scopeOf(ada), { limit: 10, states: ['active'] });
        expect(live.map((x) => x.id)).toEqual([m[0]!.id]);
      });

      it('deletes every memory of the workspace when nothing narrows it, and audits it once', async () => {
        const f = fixture();
        const { ada, bob } = await seed(f);
        const audited = (count: number) => auditEvent('memory.bulk_delete', { workspaceId: ada.workspace.id, detail: { count } });
        expect(await f.memories.deleteMany(scopeOf(ada), {}, T0 + 9000, audited)).toBe(4);
        expect(await f.memories.count(scopeOf(ada))).toEqual({ active: 0, archived: 0, deleted: 4 });
        expect(await f.memories.count(scopeOf(bob))).toEqual({ active: 1, archived: 0, deleted: 0 });
        const bulk = (await f.audit.listForWorkspace(ada.workspace.id, 100)).filter((e) => e.action === 'memory.bulk_delete');
        expect(bulk.map((e) => e.detail)).toEqual([{ count: 4 }]);
        // Nothing left to delete: no audit entry for a no-op.
        expect(await f.memories.deleteMany(scopeOf(ada), {}, T0 + 9001, audited)).toBe(0);
        expect((await f.audit.listForWorkspace(ada.workspace.id, 100)).filter((e) => e.action === 'memory.bulk_delete')).toHaveLength(1);
      });

      it('counts by state as plain numbers, zero for states with no rows', async () => {
        const f = fixture();
        const ada = await createTenant(f, 'ada@example.com');
        expect(await f.memories.count(scopeOf(ada))).toEqual({ active: 0, archived: 0, deleted: 0 });
        const a = await add(f, ada, 'x');
        await add(f, ada, 'y');
        await f.memories.update(scopeOf(ada), a.id, { state: 'archived', now: T0 + 1 }, auditEvent('memory.update'));
        const counts = await f.memories.count(scopeOf(ada));
        expect(counts).toEqual({ active: 1, archived: 1, deleted: 0 });
        expect(typeof counts.active).toBe('number');
      });
    });

    describe('memories: the partial unique index decides concurrent duplicates', () => {
      it('concurrent inserts of the same content leave exactly one live memory', async () => {
        const f = fixture();
        const ada = await createTenant(f, 'ada@example.com');
        const outcomes = await Promise.all(Array.from({ length: 5 }, () => insert(f, ada, [newMemory(ada, 'raced text')])));
        const flat = outcomes.flat();
        expect(flat.filter((o) => o.created)).toHaveLength(1);
        expect(new Set(flat.map((o) => o.memory.id)).size).toBe(1);
        const n = await f.storage.db
          .selectFrom('memories')
          .select(sql<number>`count(*)`.as('n'))
          .where('workspace_id', '=', ada.workspace.id)
          .executeTakeFirstOrThrow();
        expect(Number(n.n)).toBe(1);
      });
    });
  });
}
