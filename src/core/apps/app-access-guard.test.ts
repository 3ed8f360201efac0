import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../errors/app-error.js';
import { KyselyAuditStore } from '../../storage/audit-repo.js';
import { openStorage, type Storage } from '../../storage/db.js';
import { KyselyMemoryStore } from '../../storage/memories-repo.js';
import { migrate } from '../../storage/migrate.js';
import { KyselyAppStore } from '../../storage/users-repo.js';
import { BufferedAccessLog } from '../audit/buffered-access-log.js';
import type { AuditEvent } from '../audit/audit.js';
import { ManualClock } from '../clock.js';
import { MemoryService } from '../memories/memory-service.js';
import type { Principal } from '../principal.js';
import { UserService } from '../users/user-service.js';
import { KyselyUserStore } from '../../storage/users-repo.js';
import type { App, AppAccess } from '../users/user.js';
import { AppAccessGuard } from './app-access-guard.js';

/** App controls through the real MemoryService, store and SQLite: what a paused or read-only app can still do. */

let storage: Storage;
let clock: ManualClock;
let apps: KyselyAppStore;
let guard: AppAccessGuard;
let service: MemoryService;
let claude: App;
let cursor: App;
let asClaude: Principal;
let asCursor: Principal;

const TTL = 5000;

beforeEach(async () => {
  storage = openStorage({ dialect: 'sqlite', path: ':memory:' });
  await migrate(storage);
  clock = new ManualClock();
  apps = new KyselyAppStore(storage.db);
  const ada = await new UserService(new KyselyUserStore(storage.db), clock).create({ email: 'ada@example.com' });
  claude = await apps.ensure(ada.workspace.id, 'Claude', clock.now());
  cursor = await apps.ensure(ada.workspace.id, 'Cursor', clock.now());
  const scopes = new Set(['memories:read', 'memories:write', 'memories:delete'] as const);
  asClaude = { userId: ada.user.id, workspaceId: ada.workspace.id, appId: claude.id, credential: { kind: 'api_key', id: 'key_claude' }, scopes };
  asCursor = { ...asClaude, appId: cursor.id, credential: { kind: 'api_key', id: 'key_cursor' } };
  guard = new AppAccessGuard(apps, clock, { ttlMs: TTL, maxEntries: 100 });
  service = new MemoryService(new KyselyMemoryStore(storage.db, storage.dialect), new BufferedAccessLog(new KyselyAuditStore(storage.db), { maxBuffered: 1000 }), clock, guard);
});
afterEach(async () => storage.close());

function event(app: App, access: AppAccess): AuditEvent {
  return { at: clock.now(), workspaceId: app.workspaceId, userId: null, credentialKind: 'session', credentialId: 'ses_1', appId: null, action: 'app.access', targetId: app.id, requestId: null, detail: { access } };
}

/** Changes the app's access as the dashboard route does: in the store, and on this instance's guard. */
async function setAccess(app: App, access: AppAccess, on: AppAccessGuard = guard): Promise<void> {
  const changed = await apps.setAccess(app.workspaceId, app.id, access, clock.now(), event(app, access));
  on.changed(changed!);
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return (err as AppError).code;
}

/** Every memory operation, each named, as the app would call it. */
function operations(p: Principal, id: string) {
  return {
    reads: {
      get: () => service.get(p, id),
      list: () => service.list(p),
      search: () => service.search(p, { query: 'violin' }),
      counts: () => service.counts(p),
      facets: () => service.facets(p),
      history: () => service.history(p, id),
    },
    writes: {
      add: () => service.add(p, { content: `another note ${Math.random()}` }),
      update: () => service.update(p, id, { content: `changed ${Math.random()}` }),
      archive: () => service.setStateMany(p, [id], 'archived'),
      delete: () => service.delete(p, id),
      deleteMany: () => service.deleteMany(p, { ids: [id] }),
    },
  };
}

describe('app controls', () => {
  it('a paused app can neither read nor write, with a message naming it; another app of the workspace is untouched', async () => {
    const { memory } = (await service.add(asClaude, { content: 'Ada plays the violin' })) as { memory: { id: string } };
    await setAccess(claude, 'paused');
    const ops = operations(asClaude, memory.id);
    for (const [name, op] of [...Object.entries(ops.reads), ...Object.entries(ops.writes)]) {
      expect(await codeOf(op()), name).toBe('APP_PAUSED');
    }
    const err = await service.search(asClaude, { query: 'violin' }).catch((e: AppError) => e);
    expect((err as AppError).message).toContain('"Claude" is paused');
    // Cursor reads and writes as before, and the memory Claude wrote is still there.
    expect((await service.search(asCursor, { query: 'violin' })).map((h) => h.memory.id)).toEqual([memory.id]);
    await service.add(asCursor, { content: 'Cursor still writes' });
  });

  it('a read-only app reads but every write is refused', async () => {
    const { memory } = (await service.add(asClaude, { content: 'Ada plays the violin' })) as { memory: { id: string } };
    await setAccess(claude, 'read_only');
    const ops = operations(asClaude, memory.id);
    for (const [name, op] of Object.entries(ops.reads)) await expect(op(), name).resolves.toBeDefined();
    for (const [name, op] of Object.entries(ops.writes)) expect(await codeOf(op()), name).toBe('APP_READ_ONLY');
    expect((await service.get(asClaude, memory.id)).content).toBe('Ada plays the violin');
  });

  it('resuming gives full access back at once on this instance', async () => {
    await setAccess(claude, 'paused');
    expect(await codeOf(service.list(asClaude))).toBe('APP_PAUSED');
    await setAccess(claude, 'full');
    await service.add(asClaude, { content: 'back again' });
    expect((await service.list(asClaude)).memories).toHaveLength(1);
  });

  it('another instance sees a change within its cache time, and the change is audited', async () => {
    await service.list(asClaude); // this instance has read Claude's access: full
    const elsewhere = new AppAccessGuard(apps, clock, { ttlMs: TTL, maxEntries: 100 });
    await elsewhere.require(asClaude, 'write');
    await setAccess(claude, 'paused', elsewhere);
    // The change was made on the other instance: this one trusts what it read until the TTL runs out.
    await service.list(asClaude);
    clock.advance(TTL);
    expect(await codeOf(service.list(asClaude))).toBe('APP_PAUSED');
    const rows = await storage.db.selectFrom('audit_log').select(['action', 'target_id', 'detail']).where('action', '=', 'app.access').execute();
    expect(rows).toEqual([{ action: 'app.access', target_id: claude.id, detail: JSON.stringify({ access: 'paused' }) }]);
  });

  it('fails closed: an app the store does not know is paused, and an unreadable store is an error, not access', async () => {
    expect(await codeOf(service.list({ ...asClaude, appId: 'app_unknown' }))).toBe('APP_PAUSED');
    // Another workspace's app id does not carry its access over either.
    expect(await codeOf(service.list({ ...asClaude, workspaceId: 'ws_other' }))).toBe('APP_PAUSED');
    const fresh = new AppAccessGuard(apps, clock, { ttlMs: TTL, maxEntries: 100 });
    await storage.close();
    await expect(fresh.require(asCursor, 'read')).rejects.toBeDefined();
    storage = openStorage({ dialect: 'sqlite', path: ':memory:' });
  });

  it('reads a stored access it does not know as paused (bad data never grants more)', async () => {
    // The CHECK constraint keeps such a value out; a database edited by hand without it is read safely.
    storage.sqlite!.pragma('ignore_check_constraints = ON');
    storage.sqlite!.prepare(`UPDATE apps SET access = 'everything' WHERE id = ?`).run(cursor.id);
    expect((await apps.get(cursor.workspaceId, cursor.id))?.access).toBe('paused');
    expect(await codeOf(service.list(asCursor))).toBe('APP_PAUSED');
  });
});
