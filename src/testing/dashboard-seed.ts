import { signInCookie } from './accounts.js';
import type { LiveServer } from './live-server.js';
import { oauthWorld } from './oauth-flow.js';

/**
 * A small, realistic workspace for looking at the dashboard (scripts/dashboard-dev.ts, the screenshot script
 * and the browser tests): an admin and a second person, memories written over REST by two keys (two apps),
 * one archived memory and a revoked key, so every page has something to show.
 */
export const SEED_ADMIN = { email: 'ada@example.com', password: 'correct horse battery staple' } as const;
export const SEED_OTHER = { email: 'grace@example.com', password: 'another horse battery staple' } as const;

const NOTES: readonly [app: 'claude-code' | 'cursor', content: string, metadata?: Record<string, unknown>][] = [
  ['claude-code', 'The team prefers pnpm over npm for the web monorepo.'],
  ['claude-code', 'Deploys go out on Tuesdays and Thursdays after the 14:00 stand-up.'],
  ['cursor', 'Use the `api/v2` client for billing; v1 is deprecated since March.', { project: 'billing' }],
  ['claude-code', "Ada's favourite test runner is Vitest; keep the suites beside the code."],
  ['cursor', 'The staging database is refreshed from production every Sunday night.', { env: 'staging' }],
  ['claude-code', 'Caching layer: Redis 7, keys expire after 10 minutes unless pinned.'],
  ['cursor', 'Code review needs one approval from the owning team and green CI.'],
  ['claude-code', 'Ada is allergic to peanuts; order the vegetarian lunch for offsites.', { topic: 'personal' }],
];

export interface Seeded {
  readonly admin: Awaited<ReturnType<LiveServer['createPerson']>>;
  readonly other: Awaited<ReturnType<LiveServer['createPerson']>>;
  readonly keys: Record<'claude-code' | 'cursor', string>;
}

/**
 * `memories: false` leaves the workspace empty; `apps: true` also authorises an OAuth client ("Claude Desktop",
 * through the real consent page, which leaves a second browser session behind) and creates a
 * client-credentials client ("nightly-import"), for the Connected apps and Sessions pages.
 */
export async function seedDashboard(server: LiveServer, opts: { memories?: boolean; apps?: boolean } = {}): Promise<Seeded> {
  const admin = await server.createPerson(SEED_ADMIN.email, SEED_ADMIN.password, { admin: true });
  const other = await server.createPerson(SEED_OTHER.email, SEED_OTHER.password);
  const owner = { userId: admin.user.id, workspaceId: admin.workspace.id };
  const actor = { kind: 'cli', credentialId: null } as const;
  const keys = {} as Record<'claude-code' | 'cursor', string>;
  for (const name of ['claude-code', 'cursor'] as const) {
    const { key } = await server.runtime.services.apiKeys.create(owner, { name, scopes: ['memories:read', 'memories:write', 'memories:delete'], expiresAt: null }, actor);
    keys[name] = key;
  }
  const old = await server.runtime.services.apiKeys.create(owner, { name: 'old laptop', scopes: ['memories:read'], expiresAt: null }, actor);
  await server.runtime.services.apiKeys.revoke(owner, old.view.id, actor);
  if (opts.memories !== false) {
    let last = '';
    for (const [app, content, metadata] of NOTES) {
      const res = await fetch(`${server.url}/api/v1/memories`, {
        method: 'POST',
        headers: { authorization: `Bearer ${keys[app]}`, 'content-type': 'application/json' },
        body: JSON.stringify({ content, ...(metadata ? { metadata } : {}) }),
      });
      if (res.status !== 201 && res.status !== 200) throw new Error(`seeding a memory failed: ${res.status} ${await res.text()}`);
      last = ((await res.json()) as { memory: { id: string } }).memory.id;
    }
    await fetch(`${server.url}/api/v1/memories/${last}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${keys['claude-code']}`, 'content-type': 'application/json' },
      body: JSON.stringify({ state: 'archived' }),
    });
  }
  if (opts.apps) {
    const cookieOf = (email: string) => signInCookie(server.app, server.url, email, SEED_ADMIN.password);
    const world = oauthWorld(server.app, server.url, cookieOf);
    const jar = await world.signIn(SEED_ADMIN.email);
    const client = await world.registerNative({ client_name: 'Claude Desktop' });
    await world.connect(jar, client);
    const res = await server.app.inject({
      method: 'POST',
      url: '/dashboard/api/v1/oauth-clients',
      headers: { cookie: jar.header, origin: server.url, 'x-cairn-dashboard': '1' },
      payload: { name: 'nightly-import', scopes: ['memories:read', 'memories:write'] },
    });
    if (res.statusCode !== 201) throw new Error(`seeding a client-credentials client failed: ${res.statusCode} ${res.body}`);
  }
  return { admin, other, keys };
}
