import { afterEach, beforeEach } from 'vitest';
import type { AuditAction, AuditEvent } from '../../core/audit/audit.js';
import { newId } from '../../core/ids.js';
import { contentHash, type Metadata } from '../../core/memories/memory.js';
import type { NewMemory } from '../../core/memories/memory-store.js';
import type { App, User, Workspace } from '../../core/users/user.js';
import { KyselyApiKeyStore } from '../api-keys-repo.js';
import { KyselyAuditStore } from '../audit-repo.js';
import type { Storage } from '../db.js';
import { KyselyMemoryStore } from '../memories-repo.js';
import { migrate } from '../migrate.js';
import { KyselyAppStore, KyselyUserStore } from '../users-repo.js';
import { KyselyWorkspaceStore } from '../workspaces-repo.js';

/**
 * How a conformance suite gets a database: every call returns a `Storage` on a new, empty database (no
 * tables, no migrations), independent of every earlier call. sqlite.test.ts and postgres.pg.test.ts each
 * supply one; the suites never know which database they run on.
 */
export type StorageFactory = () => Promise<Storage>;

/** A migrated database and the repositories the application builds on it (as services.ts does). */
export interface StoreFixture {
  readonly storage: Storage;
  readonly memories: KyselyMemoryStore;
  readonly users: KyselyUserStore;
  readonly apps: KyselyAppStore;
  readonly apiKeys: KyselyApiKeyStore;
  readonly audit: KyselyAuditStore;
  readonly workspaces: KyselyWorkspaceStore;
}

/** Times are fixed so that orderings in assertions do not depend on the wall clock. */
export const T0 = Date.UTC(2026, 0, 1, 12);

export async function openFixture(factory: StorageFactory): Promise<StoreFixture> {
  const storage = await factory();
  try {
    await migrate(storage);
  } catch (err) {
    await storage.close();
    throw err;
  }
  const { db, dialect } = storage;
  return {
    storage,
    memories: new KyselyMemoryStore(db, dialect),
    users: new KyselyUserStore(db),
    apps: new KyselyAppStore(db),
    apiKeys: new KyselyApiKeyStore(db),
    audit: new KyselyAuditStore(db),
    workspaces: new KyselyWorkspaceStore(db, dialect),
  };
}

/** A fresh migrated fixture per test, closed afterwards. Returns a getter (the value changes per test). */
export function useFixture(factory: StorageFactory): () => StoreFixture {
  let current: StoreFixture | undefined;
  beforeEach(async () => {
    current = await openFixture(factory);
  });
  afterEach(async () => {
    await current?.storage.close();
    current = undefined;
  });
  return () => {
    if (!current) throw new Error('fixture used outside a test');
    return current;
  };
}

export interface Tenant {
  readonly user: User;
  readonly workspace: Workspace;
  readonly app: App;
}

/** A user with a personal workspace and one app, as the CLI would create them. */
export async function createTenant(f: StoreFixture, email: string, appName = 'notes-cli', now = T0): Promise<Tenant> {
  const user: User = { id: newId('usr', now), email, name: null, isAdmin: false, disabledAt: null, createdAt: now };
  const workspace: Workspace = { id: newId('ws', now), name: `${email}'s memory`, kind: 'personal', createdAt: now };
  const outcome = await f.users.createWithPersonalWorkspace(user, workspace, auditEvent('user.create', { workspaceId: workspace.id, userId: user.id, at: now }));
  if (outcome !== 'created') throw new Error(`could not create ${email}: ${outcome}`);
  const app = await f.apps.ensure(workspace.id, appName, now);
  return { user, workspace, app };
}

export function auditEvent(action: AuditAction, over: Partial<AuditEvent> = {}): AuditEvent {
  return {
    at: T0,
    workspaceId: null,
    userId: null,
    credentialKind: 'cli',
    credentialId: null,
    appId: null,
    action,
    targetId: null,
    requestId: null,
    detail: null,
    ...over,
  };
}

/** A memory as MemoryService would hand it to the store (normalised content, its hash, a fresh id). */
export function newMemory(tenant: Tenant, content: string, over: { now?: number; metadata?: Metadata; appId?: string; authorUserId?: string } = {}): NewMemory {
  const now = over.now ?? T0;
  return {
    id: newId('mem', now),
    authorUserId: over.authorUserId ?? tenant.user.id,
    appId: over.appId ?? tenant.app.id,
    content,
    metadata: over.metadata ?? {},
    contentHash: contentHash(content),
    now,
  };
}
