import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../testing/build-test-app.js';
import { MCP_ERAS, mcpHeaders, mcpMessage, readJsonRpc, type JsonRpcReply, type McpEra } from '../testing/surface-auth.suite.js';
import type { MemoryView } from './rest/views.js';

// Two users, each with a personal workspace and a key, who remember the same things in the same words.
// Nothing either does, over REST or MCP, by id, search, list or bulk delete, reaches the other's memories.

const SHARED = ['Prefers green tea in the morning', 'Is allergic to peanuts'];
const ALICE_ONLY = 'Keeps bees on a rooftop in Lisbon';
const BOB_ONLY = 'Collects vintage typewriters from Prague';

interface Person {
  readonly key: string;
  readonly userId: string;
  readonly workspaceId: string;
  /** This person's memories, in the order added: the shared texts, then their own. */
  readonly memories: MemoryView[];
}

let t: TestApp;
let alice: Person;
let bob: Person;

async function person(email: string, own: string): Promise<Person> {
  const owner = await t.createUser(email);
  const { key } = await t.createKey(owner);
  const memories: MemoryView[] = [];
  for (const content of [...SHARED, own]) {
    t.clock.advance(1000);
    const res = await t.call('POST', '/api/v1/memories', { key, body: { content, metadata: { owner: email } } });
    expect(res.statusCode).toBe(201);
    memories.push((res.json() as { memory: MemoryView }).memory);
  }
  return { key, userId: owner.user.id, workspaceId: owner.workspace.id, memories };
}

beforeEach(async () => {
  t = await buildTestApp();
  alice = await person('alice@example.com', ALICE_ONLY);
  bob = await person('bob@example.com', BOB_ONLY);
});
afterEach(async () => t.close());

const ids = (ms: readonly { id: string }[]) => ms.map((m) => m.id).sort();

async function listIds(who: Person, query = ''): Promise<string[]> {
  const res = await t.call('GET', `/api/v1/memories?limit=200${query}`, { key: who.key });
  expect(res.statusCode).toBe(200);
  return ids((res.json() as { memories: MemoryView[] }).memories);
}

async function searchIds(who: Person, query: string, extra: Record<string, unknown> = {}): Promise<string[]> {
  const res = await t.call('POST', '/api/v1/memories/search', { key: who.key, body: { query, limit: 100, ...extra } });
  expect(res.statusCode).toBe(200);
  return ids((res.json() as { results: { memory: MemoryView }[] }).results.map((r) => r.memory));
}

/** Bob reads every one of his memories with his own key and finds each exactly as it was added. */
async function expectBobUntouched(): Promise<void> {
  expect(await listIds(bob)).toEqual(ids(bob.memories));
  for (const m of bob.memories) {
    const res = await t.call('GET', `/api/v1/memories/${m.id}`, { key: bob.key });
    expect(res.statusCode).toBe(200);
    expect((res.json() as { memory: MemoryView }).memory).toEqual(m);
  }
}

/** Search is a ranked OR over words, so other memories of the caller may match too; none of the other user's may. */
function expectOnlyOwn(found: readonly string[], who: Person, exact?: string): void {
  if (exact !== undefined) expect(found).toContain(exact);
  expect(found.filter((id) => !who.memories.some((m) => m.id === id))).toEqual([]);
}

async function bulkDelete(who: Person, body: Record<string, unknown>, headers?: Record<string, string>): Promise<number> {
  const res = await t.call('POST', '/api/v1/memories/bulk-delete', { key: who.key, body, ...(headers ? { headers } : {}) });
  expect(res.statusCode).toBe(200);
  return (res.json() as { deleted: number }).deleted;
}

describe('setup: the same text in two workspaces', () => {
  it('is two memories, one in each workspace (dedupe is per workspace)', () => {
    for (const [i, text] of SHARED.entries()) {
      const a = alice.memories[i]!;
      const b = bob.memories[i]!;
      expect([a.content, b.content]).toEqual([text, text]);
      expect(a.id).not.toBe(b.id);
      expect([a.workspaceId, b.workspaceId]).toEqual([alice.workspaceId, bob.workspaceId]);
    }
    expect(alice.workspaceId).not.toBe(bob.workspaceId);
  });

  it('still dedupes within one workspace', async () => {
    const res = await t.call('POST', '/api/v1/memories', { key: alice.key, body: { content: SHARED[0] } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ created: false, memory: { id: alice.memories[0]!.id } });
  });
});

describe('REST: by id', () => {
  it("answers 404 to GET, PATCH and DELETE of another user's memory, exactly as for an id that does not exist", async () => {
    const theirs = bob.memories[0]!.id;
    const missing = await t.call('GET', '/api/v1/memories/mem_doesnotexist', { key: alice.key });
    const attempts = [
      await t.call('GET', `/api/v1/memories/${theirs}`, { key: alice.key }),
      await t.call('PATCH', `/api/v1/memories/${theirs}`, { key: alice.key, body: { content: 'Hijacked', metadata: { owner: 'alice' } } }),
      await t.call('PATCH', `/api/v1/memories/${theirs}`, { key: alice.key, body: { state: 'archived' } }),
      await t.call('DELETE', `/api/v1/memories/${theirs}`, { key: alice.key }),
    ];
    for (const res of attempts) {
      expect(res.statusCode).toBe(404);
      const { code, message } = (res.json() as { error: { code: string; message: string } }).error;
      expect({ code, message }).toEqual({ code: missing.json().error.code, message: missing.json().error.message });
      expect(res.body).not.toContain(theirs);
    }
    await expectBobUntouched();
  });
});

describe('REST: search and list', () => {
  it("never returns the other user's memory, even for their exact text", async () => {
    for (const [i, text] of SHARED.entries()) {
      // Both have this exact text: each finds their own copy and nothing of the other's.
      expectOnlyOwn(await searchIds(alice, text), alice, alice.memories[i]!.id);
      expectOnlyOwn(await searchIds(bob, text), bob, bob.memories[i]!.id);
    }
    expectOnlyOwn(await searchIds(alice, BOB_ONLY), alice);
    expectOnlyOwn(await searchIds(bob, ALICE_ONLY), bob);
  });

  it('lists only the caller’s own memories, in every state', async () => {
    expect(await listIds(alice)).toEqual(ids(alice.memories));
    expect(await listIds(bob)).toEqual(ids(bob.memories));
    // Bob archives and deletes some of his: Alice's archived and deleted views stay empty.
    await t.call('PATCH', `/api/v1/memories/${bob.memories[0]!.id}`, { key: bob.key, body: { state: 'archived' } });
    await t.call('DELETE', `/api/v1/memories/${bob.memories[1]!.id}`, { key: bob.key });
    expect(await listIds(alice, '&state=archived')).toEqual([]);
    expect(await listIds(alice, '&state=deleted')).toEqual([]);
    expect(await listIds(bob, '&state=archived')).toEqual([bob.memories[0]!.id]);
  });

  it("filters by the other user's app id match nothing", async () => {
    const theirApp = bob.memories[0]!.app.id;
    expect(await listIds(alice, `&app=${encodeURIComponent(theirApp)}`)).toEqual([]);
    expect(await searchIds(alice, SHARED[0]!, { filters: { app: theirApp } })).toEqual([]);
  });
});

describe('REST: bulk delete', () => {
  it("deletes none of the other user's memories when given only their ids", async () => {
    expect(await bulkDelete(alice, { ids: ids(bob.memories) })).toBe(0);
    expect(await listIds(alice)).toEqual(ids(alice.memories));
    await expectBobUntouched();
  });

  it('deletes only the caller’s own ids from a list mixing both users', async () => {
    const mixed = [...ids(alice.memories), ...ids(bob.memories)];
    expect(await bulkDelete(alice, { ids: mixed })).toBe(alice.memories.length);
    expect(await listIds(alice)).toEqual([]);
    await expectBobUntouched();
  });

  it('deletes only the caller’s own memories by filters', async () => {
    const start = new Date(Date.UTC(2000, 0, 1)).toISOString();
    expect(await bulkDelete(alice, { filters: { since: start } })).toBe(alice.memories.length);
    expect(await bulkDelete(alice, { filters: { app: bob.memories[0]!.app.id } })).toBe(0);
    await expectBobUntouched();
  });

  it('deletes only the caller’s own memories with all: true', async () => {
    expect(await bulkDelete(alice, { all: true })).toBe(alice.memories.length);
    expect(await listIds(alice)).toEqual([]);
    await expectBobUntouched();
  });
});

describe('REST: a user or workspace named in the request never widens access', () => {
  const bobHeaders = () => ({ 'x-user-id': bob.userId, 'x-workspace-id': bob.workspaceId });

  it('ignores ?user_id= and ?workspace_id= on list and get', async () => {
    const query = `&user_id=${bob.userId}&workspace_id=${bob.workspaceId}`;
    expect(await listIds(alice, query)).toEqual(ids(alice.memories));
    const res = await t.call('GET', `/api/v1/memories/${bob.memories[0]!.id}?user_id=${bob.userId}&workspace_id=${bob.workspaceId}`, { key: alice.key });
    expect(res.statusCode).toBe(404);
  });

  it('ignores x-user-id and x-workspace-id headers', async () => {
    const list = await t.call('GET', '/api/v1/memories', { key: alice.key, headers: bobHeaders() });
    expect(ids((list.json() as { memories: MemoryView[] }).memories)).toEqual(ids(alice.memories));
    const get = await t.call('GET', `/api/v1/memories/${bob.memories[0]!.id}`, { key: alice.key, headers: bobHeaders() });
    expect(get.statusCode).toBe(404);
    expect(await bulkDelete(alice, { ids: ids(bob.memories) }, bobHeaders())).toBe(0);
    await expectBobUntouched();
  });

  it('ignores workspaceId and userId in a body: a create lands in the caller’s workspace', async () => {
    const res = await t.call('POST', '/api/v1/memories', { key: alice.key, body: { content: 'Written for Bob?', workspaceId: bob.workspaceId, userId: bob.userId } });
    expect(res.statusCode).toBe(201);
    expect((res.json() as { memory: MemoryView }).memory).toMatchObject({ workspaceId: alice.workspaceId, authorUserId: alice.userId });
    await expectBobUntouched();
  });

  it('ignores workspaceId in search and bulk-delete bodies', async () => {
    expectOnlyOwn(await searchIds(alice, BOB_ONLY, { workspaceId: bob.workspaceId }), alice);
    expect(await bulkDelete(alice, { all: true, workspaceId: bob.workspaceId, userId: bob.userId }, bobHeaders())).toBe(alice.memories.length);
    await expectBobUntouched();
  });
});

for (const era of MCP_ERAS) {
  describe(`MCP [${era}]`, () => {
    async function tool(who: Person, name: string, args: Record<string, unknown>, headers: Record<string, string> = {}): Promise<NonNullable<JsonRpcReply['result']>> {
      const res = await t.app.inject({
        method: 'POST',
        url: '/mcp',
        headers: { ...mcpHeaders(era as McpEra, 'tools/call', name), authorization: `Bearer ${who.key}`, ...headers },
        payload: mcpMessage(era, 'tools/call', { name, arguments: args }),
      });
      expect(res.statusCode).toBe(200);
      const reply = readJsonRpc(res);
      expect(reply.error).toBeUndefined();
      return reply.result!;
    }
    const payload = <T>(result: NonNullable<JsonRpcReply['result']>) => result.structuredContent as T;
    const notFound = (result: NonNullable<JsonRpcReply['result']>) => {
      expect(result.isError).toBe(true);
      expect(result.content?.[0]?.text).toBe('NOT_FOUND: Memory not found.');
    };

    it("answers NOT_FOUND to get, update and delete of another user's memory", async () => {
      const theirs = bob.memories[0]!.id;
      notFound(await tool(alice, 'get_memory', { id: theirs }));
      notFound(await tool(alice, 'update_memory', { id: theirs, text: 'Hijacked' }));
      notFound(await tool(alice, 'update_memory', { id: theirs, state: 'archived' }));
      notFound(await tool(alice, 'delete_memory', { id: theirs }));
      notFound(await tool(alice, 'get_memory', { id: 'mem_doesnotexist' }));
      await expectBobUntouched();
    });

    it("never finds the other user's memory, even for their exact text", async () => {
      const found = async (who: Person, query: string) => ids(payload<{ results: { id: string }[] }>(await tool(who, 'search_memory', { query, limit: 100 })).results);
      for (const [i, text] of SHARED.entries()) expectOnlyOwn(await found(alice, text), alice, alice.memories[i]!.id);
      expectOnlyOwn(await found(alice, BOB_ONLY), alice);
    });

    it('lists only the caller’s own memories', async () => {
      const listed = payload<{ memories: { id: string }[] }>(await tool(alice, 'list_memories', { limit: 200 }));
      expect(ids(listed.memories)).toEqual(ids(alice.memories));
    });

    it('delete_all_memories empties only the caller’s workspace', async () => {
      expect(payload<{ deleted: number }>(await tool(alice, 'delete_all_memories', {}))).toEqual({ deleted: alice.memories.length });
      expect(await listIds(alice)).toEqual([]);
      await expectBobUntouched();
    });

    it('ignores a user or workspace named in the arguments or headers', async () => {
      const bobHeaders = { 'x-user-id': bob.userId, 'x-workspace-id': bob.workspaceId };
      const named = { user_id: bob.userId, workspace_id: bob.workspaceId, workspaceId: bob.workspaceId };
      const listed = payload<{ memories: { id: string }[] }>(await tool(alice, 'list_memories', { limit: 200, ...named }, bobHeaders));
      expect(ids(listed.memories)).toEqual(ids(alice.memories));
      notFound(await tool(alice, 'get_memory', { id: bob.memories[0]!.id, ...named }, bobHeaders));
      expect(payload<{ deleted: number }>(await tool(alice, 'delete_all_memories', named, bobHeaders))).toEqual({ deleted: alice.memories.length });
      await expectBobUntouched();
    });

    it('dedupes per workspace: the same text added by both is two memories', async () => {
      const text = 'Runs the Lisbon half marathon every March';
      const a = payload<{ created: boolean; memory: { id: string } }>(await tool(alice, 'add_memories', { text }));
      const b = payload<{ created: boolean; memory: { id: string } }>(await tool(bob, 'add_memories', { text }));
      expect([a.created, b.created]).toEqual([true, true]);
      expect(a.memory.id).not.toBe(b.memory.id);
      const again = payload<{ created: boolean; memory: { id: string } }>(await tool(alice, 'add_memories', { text }));
      expect(again).toMatchObject({ created: false, memory: { id: a.memory.id } });
    });
  });
}
