import { describe, expect, it } from 'vitest';
import { canonical, derivedId, type ImportMemory } from '../../core/transfer/format.js';
import type { ImportPlan } from '../../core/transfer/transfer-store.js';
import { KyselyTransferStore } from '../transfer-repo.js';
import { auditEvent, createTenant, newMemory, T0, useFixture, type StorageFactory, type Tenant } from './fixture.js';

/** The export and import port (KyselyTransferStore): paging, scoping, one transaction, idempotence. */
export function runTransferSuite(factory: StorageFactory): void {
  describe('transfer store', () => {
    const fixture = useFixture(factory);
    const store = () => new KyselyTransferStore(fixture().storage.db);

    function memory(id: string, content: string, over: Partial<ImportMemory> = {}): ImportMemory {
      return { line: 1, id, content, metadata: { b: 1, a: { d: 2, c: 3 } }, state: 'active', createdAt: T0, updatedAt: T0 + 5, authorEmail: 'ana@example.com', appName: 'agent', versions: [], ...over };
    }

    function plan(t: Tenant, memories: ImportMemory[], over: Partial<ImportPlan> = {}): ImportPlan {
      return { apps: [], memories, fallbackUserId: t.user.id, fallbackAppId: t.app.id, now: T0 + 1000, ...over };
    }

    const audit = (t: Tenant) => () => auditEvent('memories.import', { workspaceId: t.workspace.id, userId: t.user.id });

    async function rows(table: 'memories' | 'memory_versions' | 'audit_log' | 'apps'): Promise<number> {
      const r = await fixture().storage.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
      return Number(r.n);
    }

    it('pages a workspace in (createdAt, id) order with its versions, and never another workspace’s memories', async () => {
      const f = fixture();
      const ana = await createTenant(f, 'ana@example.com');
      const bo = await createTenant(f, 'bo@example.com');
      const made = [];
      for (let i = 0; i < 5; i++) made.push(newMemory(ana, `ana ${i}`, { now: T0 + (i % 2) * 1000, metadata: { i } }));
      await f.memories.insertMany({ workspaceId: ana.workspace.id }, made, () => auditEvent('memory.create', { workspaceId: ana.workspace.id }));
      await f.memories.insertMany({ workspaceId: bo.workspace.id }, [newMemory(bo, 'bo 0')], () => auditEvent('memory.create', { workspaceId: bo.workspace.id }));
      await f.memories.update({ workspaceId: ana.workspace.id }, made[0]!.id, { content: 'ana 0 changed', contentHash: 'x', now: T0 + 9000 }, auditEvent('memory.update', { workspaceId: ana.workspace.id }));

      const seen: string[] = [];
      let after: { createdAt: number; id: string } | null = null;
      for (;;) {
        const page = await store().memoriesPage({ workspaceId: ana.workspace.id }, after, 2);
        if (page.length === 0) break;
        seen.push(...page.map((m) => m.id));
        expect(page.every((m) => m.authorEmail === 'ana@example.com' && m.appName === 'notes-cli')).toBe(true);
        after = { createdAt: page[page.length - 1]!.createdAt, id: page[page.length - 1]!.id };
      }
      const expected = [...made].sort((a, b) => a.now - b.now || (a.id < b.id ? -1 : 1)).map((m) => m.id);
      expect(seen).toEqual(expected);
      const versions = await store().versionsOf({ workspaceId: ana.workspace.id }, [made[0]!.id, made[1]!.id]);
      expect(versions.get(made[0]!.id)!.map((v) => [v.version, v.action, v.content])).toEqual([
        [1, 'create', 'ana 0'],
        [2, 'update', 'ana 0 changed'],
      ]);
      expect(versions.get(made[1]!.id)!.map((v) => v.byEmail)).toEqual([null]);
      // Bo's workspace is not reachable with Ana's ids, nor Ana's with Bo's scope.
      expect(await store().versionsOf({ workspaceId: bo.workspace.id }, [made[0]!.id])).toEqual(new Map());
      expect((await store().memoriesPage({ workspaceId: bo.workspace.id }, null, 10)).map((m) => m.content)).toEqual(['bo 0']);
      expect((await store().apps({ workspaceId: ana.workspace.id })).map((a) => a.name)).toEqual(['notes-cli']);
    });

    it('imports memories, versions and apps, and exports them back as they were written', async () => {
      const f = fixture();
      const ana = await createTenant(f, 'ana@example.com');
      const history = [
        { line: 2, version: 1, action: 'create' as const, content: 'Old text', metadata: { v: 1 }, state: 'active' as const, at: T0, byEmail: 'ana@example.com', appName: 'agent', credentialKind: 'api_key', credentialId: 'key_x', requestId: 'req_1' },
        { line: 3, version: 2, action: 'update' as const, content: 'New text', metadata: { v: 2 }, state: 'active' as const, at: T0 + 5, byEmail: null, appName: null, credentialKind: null, credentialId: null, requestId: null },
      ];
      const outcome = await store().importAll(
        { workspaceId: ana.workspace.id },
        plan(ana, [memory('mem_a', 'New text', { versions: history }), memory('mem_b', 'Gone', { state: 'deleted' }), memory('mem_c', 'Gone', { authorEmail: 'stranger@example.com', appName: null })], {
          apps: [
            { name: 'agent', access: 'read_only' },
            { name: 'notes-cli', access: 'paused' },
          ],
        }),
        audit(ana),
      );
      expect(outcome).toMatchObject({ created: 3, unchanged: 0, duplicates: 0, reattributed: 1 });
      // A new app takes the file's access; an existing one keeps its own.
      expect(outcome.apps).toEqual([
        { name: 'agent', access: 'read_only', created: true },
        { name: 'notes-cli', access: 'full', created: false },
      ]);
      const page = await store().memoriesPage({ workspaceId: ana.workspace.id }, null, 10);
      expect(page.map((m) => [m.id, m.state, m.appName, m.authorEmail])).toEqual([
        ['mem_a', 'active', 'agent', 'ana@example.com'],
        ['mem_b', 'deleted', 'agent', 'ana@example.com'],
        ['mem_c', 'active', 'notes-cli', 'ana@example.com'],
      ]);
      expect(canonical(page[0]!.metadata)).toEqual({ a: { c: 3, d: 2 }, b: 1 });
      expect(page[0]).toMatchObject({ createdAt: T0, updatedAt: T0 + 5 });
      const versions = await store().versionsOf({ workspaceId: ana.workspace.id }, ['mem_a', 'mem_c']);
      expect(versions.get('mem_a')).toEqual(history.map(({ line: _line, ...v }) => v));
      expect(versions.get('mem_c')!.map((v) => [v.version, v.action, v.content, v.state])).toEqual([[1, 'baseline', 'Gone', 'active']]);
      expect(await rows('audit_log')).toBe(2);
    });

    it('is idempotent, counts duplicates, and imports an id another workspace holds under a derived id without touching it', async () => {
      const f = fixture();
      const ana = await createTenant(f, 'ana@example.com');
      const bo = await createTenant(f, 'bo@example.com');
      const anas = newMemory(ana, 'Ana only');
      await f.memories.insertMany({ workspaceId: ana.workspace.id }, [anas], () => auditEvent('memory.create', { workspaceId: ana.workspace.id }));
      await f.memories.insertMany({ workspaceId: bo.workspace.id }, [newMemory(bo, 'Already here')], () => auditEvent('memory.create', { workspaceId: bo.workspace.id }));
      const items = [memory(anas.id, 'Bo’s own text', { authorEmail: 'bo@example.com' }), memory('mem_new', 'Already here'), memory('mem_x', 'Twice'), memory('mem_y', 'Twice')];
      const first = await store().importAll({ workspaceId: bo.workspace.id }, plan(bo, items), audit(bo));
      expect(first).toMatchObject({ created: 2, unchanged: 0, duplicates: 2 });
      const moved = derivedId(`${bo.workspace.id}:${anas.id}`);
      const bos = await store().memoriesPage({ workspaceId: bo.workspace.id }, null, 10);
      expect(bos.map((m) => m.id)).toContain(moved);
      expect((await store().memoriesPage({ workspaceId: ana.workspace.id }, null, 10)).map((m) => [m.id, m.content])).toEqual([[anas.id, 'Ana only']]);
      const before = [await rows('memories'), await rows('memory_versions')];
      const second = await store().importAll({ workspaceId: bo.workspace.id }, plan(bo, items), audit(bo));
      expect(second).toMatchObject({ created: 0, unchanged: 2, duplicates: 2 });
      expect([await rows('memories'), await rows('memory_versions')]).toEqual(before);
    });

    it('writes nothing when any part fails: one transaction', async () => {
      const f = fixture();
      const ana = await createTenant(f, 'ana@example.com');
      const before = [await rows('memories'), await rows('memory_versions'), await rows('apps'), await rows('audit_log')];
      const failing = () => {
        throw new Error('audit refused');
      };
      await expect(store().importAll({ workspaceId: ana.workspace.id }, plan(ana, [memory('mem_a', 'One'), memory('mem_b', 'Two')], { apps: [{ name: 'new-app', access: 'full' }] }), failing)).rejects.toThrow('audit refused');
      expect([await rows('memories'), await rows('memory_versions'), await rows('apps'), await rows('audit_log')]).toEqual(before);
    });

    it('queues embeddings for imported memories that are not deleted, when asked to', async () => {
      const f = fixture();
      const ana = await createTenant(f, 'ana@example.com');
      const embedding = new KyselyTransferStore(f.storage.db, { enqueueEmbeddings: true });
      await embedding.importAll({ workspaceId: ana.workspace.id }, plan(ana, [memory('mem_a', 'Live'), memory('mem_b', 'Dead', { state: 'deleted' })]), audit(ana));
      const jobs = await f.storage.db.selectFrom('embedding_jobs').select('memory_id').execute();
      expect(jobs.map((j) => j.memory_id)).toEqual(['mem_a']);
    });
  });
}
