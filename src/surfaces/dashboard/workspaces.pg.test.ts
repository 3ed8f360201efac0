import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessTokenClaims, createMachineClient, recordGrant, signWithCurrentKey } from '../../testing/access-tokens.js';
import { createAccountUser, signInCookie } from '../../testing/accounts.js';
import { buildTestApp, type TestApp } from '../../testing/build-test-app.js';
import { createTestDatabase, type TestDatabase } from '../../testing/postgres.js';

// Shared workspaces end to end on PostgreSQL: invitation, a viewer refused a write, a removed member's
// credentials, and deleting a workspace that holds memories, keys, OAuth grants and clients.

let db: TestDatabase;
let t: TestApp;
let origin: string;

beforeAll(async () => {
  db = await createTestDatabase('dashboard_workspaces');
  t = await buildTestApp({ databaseUrl: db.url });
  origin = t.runtime.config.http.publicUrl;
});
afterAll(async () => {
  await t.close();
  await db.drop();
});

function dash(cookie: string, method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  const changes = method !== 'GET';
  return t.app.inject({
    method: method as 'GET',
    url: `/dashboard/api${url}`,
    headers: { cookie, ...(changes ? { origin, 'x-cairn-dashboard': '1' } : {}), ...headers },
    ...(body !== undefined ? { payload: body as object } : {}),
  });
}

describe('shared workspaces on PostgreSQL', () => {
  it('invites, enforces roles, removes, and deletes a workspace with everything in it', async () => {
    const ada = await createAccountUser(t.runtime.services, 'ada@example.com');
    const bob = await createAccountUser(t.runtime.services, 'bob@example.com');
    const adaCookie = await signInCookie(t.app, origin, 'ada@example.com');
    const bobCookie = await signInCookie(t.app, origin, 'bob@example.com');
    const team = ((await dash(adaCookie, 'POST', '/v1/workspaces', { name: 'Lab' })).json() as { workspace: { id: string } }).workspace.id;
    const inTeam = { 'x-cairn-workspace': team };
    const { token } = (await dash(adaCookie, 'POST', '/v1/invitations', { role: 'viewer', email: 'bob@example.com' }, inTeam)).json() as { token: string };
    expect((await dash(bobCookie, 'POST', '/v1/invitations/accept', { token })).statusCode).toBe(200);
    expect((await dash(bobCookie, 'POST', '/v1/invitations/accept', { token })).statusCode).toBe(409);

    expect((await dash(adaCookie, 'POST', '/v1/memories', { content: 'lab notebook' }, inTeam)).statusCode).toBe(201);
    const refused = await dash(bobCookie, 'POST', '/v1/memories', { content: 'viewer note' }, inTeam);
    expect(refused.statusCode).toBe(403);
    expect((await dash(bobCookie, 'GET', '/v1/memories', undefined, inTeam)).body).toContain('lab notebook');
    expect((await dash(adaCookie, 'PATCH', `/v1/members/${ada.user.id}`, { role: 'member' }, inTeam)).json()).toMatchObject({ error: { code: 'LAST_OWNER' } });

    // Ada's credentials in the lab: a key, an OAuth grant and a client-credentials client, each used once.
    const { key } = await t.createKey({ user: ada.user, workspace: { ...ada.workspace, id: team } }, { name: 'lab key' });
    await t.addMemory(key, 'written with the lab key');
    const oauth = t.runtime.services.oauth;
    const app = await t.runtime.services.apps.ensure(team, 'lab oauth app', t.clock.now());
    const subjects = [await recordGrant(oauth, { userId: ada.user.id, workspaceId: team, appId: app.id }, ['memories:read', 'memories:write']), await createMachineClient(oauth, { userId: ada.user.id, workspaceId: team }, ['memories:read'])];
    for (const s of subjects) {
      const bearer = await signWithCurrentKey(oauth.keys, accessTokenClaims(origin, s, t.clock.now(), 3600));
      expect((await t.call('GET', '/api/v1/memories', { key: bearer })).statusCode).toBe(200);
    }

    expect((await dash(adaCookie, 'DELETE', `/v1/members/${bob.user.id}`, undefined, inTeam)).statusCode).toBe(204);
    expect((await dash(bobCookie, 'GET', '/v1/memories', undefined, inTeam)).statusCode).toBe(404);

    const deleted = await dash(adaCookie, 'DELETE', '/v1/workspace', { confirm: 'Lab' }, inTeam);
    expect(deleted.statusCode, deleted.body).toBe(204);
    expect((await t.call('GET', '/api/v1/memories', { key })).statusCode).toBe(401);
    const sql = t.runtime.storage.db;
    for (const table of ['memories', 'memberships', 'apps', 'api_keys', 'oauth_grants', 'oauth_clients', 'workspace_invitations'] as const) {
      expect(await sql.selectFrom(table).select('workspace_id').where('workspace_id', '=', team).execute(), table).toEqual([]);
    }
    expect((await t.runtime.services.audit.listForWorkspace(team, 50)).map((e) => e.action)).toEqual(
      expect.arrayContaining(['workspace.create', 'invitation.create', 'invitation.accept', 'member.remove', 'workspace.delete']),
    );
  });
});
