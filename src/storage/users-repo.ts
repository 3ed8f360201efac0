import { sql, type Kysely, type Selectable } from 'kysely';
import type { AuditEvent } from '../core/audit/audit.js';
import { APP_ACCESS, type App, type AppAccess, type AppStore, type Role, type User, type UserActivity, type UserStore, type Workspace } from '../core/users/user.js';
import { toAuditRow } from './audit-repo.js';
import { isUniqueViolation } from './db-errors.js';
import type { AppsTable, Database, UsersTable } from './schema.js';
import { newId } from '../core/ids.js';

export class KyselyUserStore implements UserStore {
  constructor(private readonly db: Kysely<Database>) {}

  async createWithPersonalWorkspace(user: User, workspace: Workspace, audit: AuditEvent): Promise<'created' | 'email_taken'> {
    try {
      await this.db.transaction().execute(async (trx) => {
        await trx
          .insertInto('users')
          .values({ id: user.id, email: user.email, name: user.name, is_admin: user.isAdmin ? 1 : 0, disabled_at: null, created_at: user.createdAt })
          .execute();
        await trx.insertInto('workspaces').values({ id: workspace.id, name: workspace.name, kind: workspace.kind, created_at: workspace.createdAt }).execute();
        await trx.insertInto('memberships').values({ workspace_id: workspace.id, user_id: user.id, role: 'owner', created_at: user.createdAt }).execute();
        await trx.insertInto('audit_log').values(toAuditRow(audit)).execute();
      });
      return 'created';
    } catch (err) {
      // Two creations of one email racing end here too: the unique index decides, never a crash.
      if (isUniqueViolation(err)) return 'email_taken';
      throw err;
    }
  }

  async findByEmail(email: string): Promise<User | undefined> {
    const row = await this.db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
    return row ? toUser(row) : undefined;
  }

  async findById(id: string): Promise<User | undefined> {
    const row = await this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toUser(row) : undefined;
  }

  async list(): Promise<User[]> {
    const rows = await this.db.selectFrom('users').selectAll().orderBy('created_at').orderBy('id').execute();
    return rows.map(toUser);
  }

  async workspacesOf(userId: string): Promise<(Workspace & { role: Role })[]> {
    const rows = await this.db
      .selectFrom('memberships as ms')
      .innerJoin('workspaces as w', 'w.id', 'ms.workspace_id')
      .select(['w.id', 'w.name', 'w.kind', 'w.created_at', 'ms.role'])
      .where('ms.user_id', '=', userId)
      .orderBy('w.created_at')
      .execute();
    return rows.map((r) => ({ id: r.id, name: r.name, kind: r.kind, createdAt: Number(r.created_at), role: r.role }));
  }

  async roleIn(userId: string, workspaceId: string): Promise<Role | undefined> {
    const row = await this.db.selectFrom('memberships').select('role').where('user_id', '=', userId).where('workspace_id', '=', workspaceId).executeTakeFirst();
    return row?.role;
  }

  async setDisabled(id: string, disabledAt: number | null, audit: AuditEvent): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const result = await trx.updateTable('users').set({ disabled_at: disabledAt }).where('id', '=', id).executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) return false;
      await trx.insertInto('audit_log').values(toAuditRow(audit)).execute();
      return true;
    });
  }

  async activity(): Promise<Map<string, UserActivity>> {
    const [memories, events] = await Promise.all([
      this.db.selectFrom('memories').select(['author_user_id as id', sql<number>`count(*)`.as('n')]).where('state', '<>', 'deleted').groupBy('author_user_id').execute(),
      this.db.selectFrom('audit_log').select(['user_id as id', sql<number>`max(at)`.as('last')]).where('user_id', 'is not', null).groupBy('user_id').execute(),
    ]);
    const out = new Map<string, { memoryCount: number; lastActiveAt: number | null }>();
    const entry = (id: string) => out.get(id) ?? out.set(id, { memoryCount: 0, lastActiveAt: null }).get(id)!;
    for (const r of memories) entry(r.id).memoryCount = Number(r.n);
    for (const r of events) if (r.id !== null && r.last !== null) entry(r.id).lastActiveAt = Number(r.last);
    return out;
  }
}

function toUser(r: Selectable<UsersTable>): User {
  return {
    id: r.id,
    email: r.email,
    name: r.name,
    isAdmin: Number(r.is_admin) === 1,
    disabledAt: r.disabled_at === null ? null : Number(r.disabled_at),
    createdAt: Number(r.created_at),
  };
}

export class KyselyAppStore implements AppStore {
  constructor(private readonly db: Kysely<Database>) {}

  async ensure(workspaceId: string, name: string, now: number): Promise<App> {
    const existing = await this.find(workspaceId, name);
    if (existing) return existing;
    await this.db
      .insertInto('apps')
      .values({ id: newId('app', now), workspace_id: workspaceId, name, created_at: now })
      .onConflict((oc) => oc.columns(['workspace_id', 'name']).doNothing())
      .execute();
    const app = await this.find(workspaceId, name);
    if (!app) throw new Error(`app ${name} vanished after insert`);
    return app;
  }

  async get(workspaceId: string, id: string): Promise<App | undefined> {
    const r = await this.db.selectFrom('apps').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst();
    return r ? toApp(r) : undefined;
  }

  async list(workspaceId: string): Promise<App[]> {
    const rows = await this.db.selectFrom('apps').selectAll().where('workspace_id', '=', workspaceId).orderBy('name').execute();
    return rows.map(toApp);
  }

  async setAccess(workspaceId: string, id: string, access: AppAccess, now: number, audit: AuditEvent): Promise<App | undefined> {
    return this.db.transaction().execute(async (trx) => {
      const result = await trx.updateTable('apps').set({ access, access_changed_at: now }).where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) return undefined;
      await trx.insertInto('audit_log').values(toAuditRow(audit)).execute();
      const r = await trx.selectFrom('apps').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      return toApp(r);
    });
  }

  private async find(workspaceId: string, name: string): Promise<App | undefined> {
    const r = await this.db.selectFrom('apps').selectAll().where('workspace_id', '=', workspaceId).where('name', '=', name).executeTakeFirst();
    return r ? toApp(r) : undefined;
  }
}

/** An unknown stored access (bad data) reads as `paused`: an app is never given more than it was. */
function toApp(r: Selectable<AppsTable>): App {
  const access = (APP_ACCESS as readonly string[]).includes(r.access) ? (r.access as AppAccess) : 'paused';
  return { id: r.id, workspaceId: r.workspace_id, name: r.name, access, accessChangedAt: r.access_changed_at === null ? null : Number(r.access_changed_at), createdAt: Number(r.created_at) };
}
