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
import { MemoryService } from '../memories/memory-service.js';
import type { Principal } from '../principal.js';
import type { Role } from '../users/user.js';
import { UserService } from '../users/user-service.js';
import { memoryAccessGuard, RoleGuard } from './role-guard.js';

/** Roles on memories through the real MemoryService, stores and SQLite: the cache, its TTL, and failing closed. */

let storage: Storage;
let clock: ManualClock;
let users: KyselyUserStore;
let roles: RoleGuard;
let service: MemoryService;
let asBob: Principal;
let workspaceId: string;
let bobId: string;

const TTL = 5000;

beforeEach(async () => {
  storage = openStorage({ dialect: 'sqlite', path: ':memory:' });
  await migrate(storage);
  clock = new ManualClock();
  users = new KyselyUserStore(storage.db);
  const accounts = new UserService(users, clock);
  const ada = await accounts.create({ email: 'ada@example.com' });
  const bob = await accounts.create({ email: 'bob@example.com' });
  workspaceId = ada.workspace.id;
  bobId = bob.user.id;
  const apps = new KyselyAppStore(storage.db);
  const app = await apps.ensure(workspaceId, 'Claude', clock.now());
  await setRole('viewer');
  asBob = { userId: bobId, workspaceId, appId: app.id, credential: { kind: 'api_key', id: 'key_bob' }, scopes: new Set(['memories:read', 'memories:write', 'memories:delete'] as const) };
  roles = new RoleGuard(users, clock, { ttlMs: TTL, maxEntries: 100 });
  const guard = memoryAccessGuard(roles, new AppAccessGuard(apps, clock, { ttlMs: TTL, maxEntries: 100 }));
  service = new MemoryService(new KyselyMemoryStore(storage.db, storage.dialect), new BufferedAccessLog(new KyselyAuditStore(storage.db), { maxBuffered: 1000 }), clock, guard);
});
afterEach(async () => storage.close());

/** Sets bob's membership directly in the database (as another instance would), or removes it. */
async function setRole(role: Role | undefined): Promise<void> {
  await storage.db.deleteFrom('memberships').where('workspace_id', '=', workspaceId).where('user_id', '=', bobId).execute();
  if (role) await storage.db.insertInto('memberships').values({ workspace_id: workspaceId, user_id: bobId, role, created_at: clock.now() }).execute();
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (err === undefined) return 'ok';
  if (err instanceof AppError) return err.code;
  throw err;
}

describe('RoleGuard', () => {
  it('a viewer reads but every write is FORBIDDEN; a member writes', async () => {
    expect(await codeOf(service.list(asBob, {}))).toBe('ok');
    expect(await codeOf(service.search(asBob, { query: 'x' }))).toBe('ok');
    expect(await codeOf(service.add(asBob, { content: 'a viewer writes' }))).toBe('FORBIDDEN');
    expect(await codeOf(service.deleteMany(asBob, { ids: ['mem_x'] }))).toBe('FORBIDDEN');
    expect(await codeOf(service.setStateMany(asBob, ['mem_x'], 'archived'))).toBe('FORBIDDEN');
    expect(await codeOf(service.update(asBob, 'mem_x', { metadata: {} }))).toBe('FORBIDDEN');
    expect(await codeOf(service.delete(asBob, 'mem_x'))).toBe('FORBIDDEN');
    await setRole('member');
    roles.changed(bobId, workspaceId, 'member');
    expect(await codeOf(service.add(asBob, { content: 'a member writes' }))).toBe('ok');
  });

  it('trusts a role read from the store for the TTL; a change made here applies at once', async () => {
    expect(await codeOf(service.list(asBob, {}))).toBe('ok');
    await setRole('member'); // elsewhere: not seen until the entry ages out
    expect(await codeOf(service.add(asBob, { content: 'one' }))).toBe('FORBIDDEN');
    clock.advance(TTL);
    expect(await codeOf(service.add(asBob, { content: 'two' }))).toBe('ok');
    await setRole('viewer');
    roles.changed(bobId, workspaceId, 'viewer');
    expect(await codeOf(service.add(asBob, { content: 'three' }))).toBe('FORBIDDEN');
  });

  it('no membership is NOT_FOUND for reads and writes alike (a removal here applies at once, elsewhere within the TTL)', async () => {
    await setRole(undefined);
    roles.changed(bobId, workspaceId, undefined);
    expect(await codeOf(service.list(asBob, {}))).toBe('NOT_FOUND');
    expect(await codeOf(service.add(asBob, { content: 'x' }))).toBe('NOT_FOUND');
    await setRole('owner');
    roles.workspaceDeleted(workspaceId);
    expect(await codeOf(service.list(asBob, {}))).toBe('NOT_FOUND');
    clock.advance(TTL);
    expect(await codeOf(service.list(asBob, {}))).toBe('ok');
  });

  it('fails closed when the store cannot be read', async () => {
    const broken = new RoleGuard({ roleIn: () => Promise.reject(new AppError('UNAVAILABLE', 'down')) }, clock, { ttlMs: TTL, maxEntries: 100 });
    expect(await codeOf(broken.require(asBob, 'read'))).toBe('UNAVAILABLE');
  });
});
