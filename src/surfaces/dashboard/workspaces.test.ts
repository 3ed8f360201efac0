import type { LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Role } from '../../core/users/user.js';
import { hashInvitationToken } from '../../core/workspaces/workspace-service.js';
import { accessTokenClaims, createMachineClient, recordGrant, signWithCurrentKey } from '../../testing/access-tokens.js';
import { buildTestApp, type TestApp } from '../../testing/build-test-app.js';
import { cookieHeader, createAccountUser } from '../../testing/accounts.js';
import { dashboardRequest, type DashboardPerson } from '../../testing/dashboard.js';

// Shared workspaces through the dashboard's routes (issue 5): invitations, the last-owner rule, leaving,
// deleting, and what a workspace-bound key can reach. A real app on in-memory SQLite, people signed in
// through the real login page.

let t: TestApp;

beforeEach(async () => {
  t = await buildTestApp();
});
afterEach(async () => t.close());

let signIns = 0;

/**
 * A person signed in with a password, each sign-in from its own address: this file signs in more people
 * than the per-address sign-in limit allows in a minute from one.
 */
async function dashboardPerson(app: TestApp, email: string): Promise<DashboardPerson> {
  const { user, workspace, password } = await createAccountUser(app.runtime.services, email);
  signIns += 1;
  const cookie = cookieHeader(await app.runtime.services.accounts.signIn(email, password, `10.0.${Math.floor(signIns / 250)}.${signIns % 250}`));
  if (!cookie) throw new Error(`signing in as ${email} set no cookie`);
  return { user, workspace, cookie };
}

const dash = (who: { cookie: string }, method: string, url: string, body?: unknown, headers: Record<string, string> = {}) => dashboardRequest(t, who, method, url, body, headers);
const errorOf = (res: LightMyRequestResponse) => (res.json() as { error: { code: string; message: string } }).error;
const inWs = (id: string) => ({ 'x-cairn-workspace': id });

async function createTeam(owner: DashboardPerson, name = 'Team'): Promise<string> {
  const res = await dash(owner, 'POST', '/v1/workspaces', { name });
  expect(res.statusCode, res.body).toBe(201);
  const { workspace } = res.json() as { workspace: { id: string; name: string; kind: string; role: string } };
  expect(workspace).toMatchObject({ name, kind: 'shared', role: 'owner' });
  return workspace.id;
}

async function invite(who: DashboardPerson, team: string, body: { role: Role; email?: string; expiresInHours?: number }): Promise<{ token: string; id: string; url: string }> {
  const res = await dash(who, 'POST', '/v1/invitations', body, inWs(team));
  expect(res.statusCode, res.body).toBe(201);
  const out = res.json() as { token: string; url: string; invitation: { id: string } };
  return { token: out.token, url: out.url, id: out.invitation.id };
}

const accept = (who: DashboardPerson, token: string) => dash(who, 'POST', '/v1/invitations/accept', { token });

async function join(owner: DashboardPerson, team: string, who: DashboardPerson, role: Role): Promise<void> {
  const res = await accept(who, (await invite(owner, team, { role })).token);
  expect(res.statusCode, res.body).toBe(200);
}

async function membersOf(who: DashboardPerson, team: string) {
  const res = await dash(who, 'GET', '/v1/members', undefined, inWs(team));
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as { members: { userId: string; email: string; role: Role }[]; myRole: Role; canManage: boolean; kind: string };
}

describe('invitations', () => {
  it('an invitation link works once; the token is stored only as its SHA-256; the workspace then lists the new member', async () => {
    const ada = await dashboardPerson(t, 'ada@example.com');
    const bob = await dashboardPerson(t, 'bob@example.com');
    const cat = await dashboardPerson(t, 'cat@example.com');
    const team = await createTeam(ada);
    const { token, url, id } = await invite(ada, team, { role: 'member' });
    expect(url).toBe(`${t.runtime.config.http.publicUrl}/dashboard/invite#${token}`);

    const rows = await t.runtime.storage.db.selectFrom('workspace_invitations').selectAll().execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id, workspace_id: team, hash: hashInvitationToken(token), accepted_at: null });
    expect(JSON.stringify(rows)).not.toContain(token);

    const pending = (await dash(ada, 'GET', '/v1/invitations', undefined, inWs(team))).json() as { invitations: { id: string; createdBy: { email: string } }[] };
    expect(pending.invitations).toEqual([expect.objectContaining({ id, role: 'member', email: null, createdBy: { email: 'ada@example.com', name: null } })]);

    const offer = await dash(bob, 'POST', '/v1/invitations/inspect', { token });
    expect(offer.statusCode, offer.body).toBe(200);
    expect(offer.json()).toMatchObject({ workspace: { name: 'Team' }, role: 'member', email: null, invitedBy: { email: 'ada@example.com' } });

    const joined = await accept(bob, token);
    expect(joined.statusCode, joined.body).toBe(200);
    expect(joined.json()).toEqual({ workspace: { id: team, name: 'Team', kind: 'shared', role: 'member' } });
    expect((await membersOf(ada, team)).members.map((m) => [m.email, m.role])).toEqual([
      ['ada@example.com', 'owner'],
      ['bob@example.com', 'member'],
    ]);
    // Bob now acts in the team.
    expect((await dash(bob, 'POST', '/v1/memories', { content: 'bob writes in the team' }, inWs(team))).statusCode).toBe(201);

    // Used: for someone else, and for bob again.
    for (const who of [cat, bob]) {
      const again = await accept(who, token);
      expect(again.statusCode).toBe(409);
      expect(errorOf(again).code).toBe('INVITATION_USED');
    }
    expect(errorOf(await dash(cat, 'POST', '/v1/invitations/inspect', { token })).code).toBe('INVITATION_USED');
    expect((await membersOf(ada, team)).members).toHaveLength(2);
    expect(((await dash(ada, 'GET', '/v1/invitations', undefined, inWs(team))).json() as { invitations: unknown[] }).invitations).toEqual([]);
    const events = (await t.runtime.services.audit.listForWorkspace(team, 20)).map((e) => e.action);
    expect(events).toEqual(expect.arrayContaining(['workspace.create', 'invitation.create', 'invitation.accept']));
  });

  it('an expired invitation is 410 INVITATION_EXPIRED and adds nobody', async () => {
    const ada = await dashboardPerson(t, 'ada@example.com');
    const bob = await dashboardPerson(t, 'bob@example.com');
    const team = await createTeam(ada);
    const { token } = await invite(ada, team, { role: 'member', expiresInHours: 2 });
    t.clock.advance(2 * 3600_000 - 1);
    expect((await dash(bob, 'POST', '/v1/invitations/inspect', { token })).statusCode).toBe(200);
    t.clock.advance(1);
    for (const res of [await dash(bob, 'POST', '/v1/invitations/inspect', { token }), await accept(bob, token)]) {
      expect(res.statusCode).toBe(410);
      expect(errorOf(res).code).toBe('INVITATION_EXPIRED');
    }
    expect((await membersOf(ada, team)).members).toHaveLength(1);
  });

  it('the default expiry is 7 days, the longest 30 days', async () => {
    const ada = await dashboardPerson(t, 'ada@example.com');
    const team = await createTeam(ada);
    const res = await dash(ada, 'POST', '/v1/invitations', { role: 'viewer' }, inWs(team));
    const { invitation } = res.json() as { invitation: { createdAt: string; expiresAt: string } };
    expect(Date.parse(invitation.expiresAt) - Date.parse(invitation.createdAt)).toBe(7 * 24 * 3600_000);
    expect((await dash(ada, 'POST', '/v1/invitations', { role: 'viewer', expiresInHours: 30 * 24 }, inWs(team))).statusCode).toBe(201);
    expect((await dash(ada, 'POST', '/v1/invitations', { role: 'viewer', expiresInHours: 30 * 24 + 1 }, inWs(team))).statusCode).toBe(400);
  });

  it('a revoked invitation is 409 INVITATION_USED; revoking is audited and a second revoke is 404', async () => {
    const ada = await dashboardPerson(t, 'ada@example.com');
    const bob = await dashboardPerson(t, 'bob@example.com');
    const team = await createTeam(ada);
    const { token, id } = await invite(ada, team, { role: 'member' });
    expect((await dash(ada, 'DELETE', `/v1/invitations/${id}`, undefined, inWs(team))).statusCode).toBe(204);
    const res = await accept(bob, token);
    expect(res.statusCode).toBe(409);
    expect(errorOf(res).code).toBe('INVITATION_USED');
    expect((await dash(ada, 'DELETE', `/v1/invitations/${id}`, undefined, inWs(team))).statusCode).toBe(404);
    expect((await t.runtime.services.audit.listForWorkspace(team, 20)).map((e) => e.action)).toContain('invitation.revoke');
    expect((await membersOf(ada, team)).members).toHaveLength(1);
  });

  it("an invitation bound to an email address works only for that account (case-insensitive); another's is 403 INVITATION_EMAIL_MISMATCH", async () => {
    const ada = await dashboardPerson(t, 'ada@example.com');
    const bob = await dashboardPerson(t, 'bob@example.com');
    const cat = await dashboardPerson(t, 'cat@example.com');
    const team = await createTeam(ada);
    const { token } = await invite(ada, team, { role: 'viewer', email: ' Bob@Example.COM ' });
    for (const res of [await dash(cat, 'POST', '/v1/invitations/inspect', { token }), await accept(cat, token)]) {
      expect(res.statusCode).toBe(403);
      expect(errorOf(res).code).toBe('INVITATION_EMAIL_MISMATCH');
    }
    // The refusal did not use it up.
    const ok = await accept(bob, token);
    expect(ok.statusCode, ok.body).toBe(200);
    expect((ok.json() as { workspace: { role: string } }).workspace.role).toBe('viewer');
  });

  it('someone already a member gets 409 CONFLICT and the invitation stays usable; unknown and malformed tokens are 404', async () => {
    const ada = await dashboardPerson(t, 'ada@example.com');
    const bob = await dashboardPerson(t, 'bob@example.com');
    const team = await createTeam(ada);
    const { token } = await invite(ada, team, { role: 'admin' });
    const mine = await accept(ada, token);
    expect(mine.statusCode).toBe(409);
    expect(errorOf(mine).code).toBe('CONFLICT');
    expect((await accept(bob, token)).statusCode).toBe(200);
    for (const bad of ['A'.repeat(32), 'not a token', '']) {
      const res = await dash(bob, 'POST', '/v1/invitations/accept', { token: bad });
      expect([400, 404], bad).toContain(res.statusCode);
      if (bad !== '') expect(errorOf(res).code).toBe('NOT_FOUND');
    }
  });

  it('opening and accepting links is limited per person: 30 a minute each, then 429 RATE_LIMITED, others unaffected', async () => {
    const ada = await dashboardPerson(t, 'ada@example.com');
    const bob = await dashboardPerson(t, 'bob@example.com');
    const guess = (who: DashboardPerson, route: 'inspect' | 'accept', i: number) => dash(who, 'POST', `/v1/invitations/${route}`, { token: `${'x'.repeat(28)}${String(i).padStart(4, '0')}` });
    for (const route of ['inspect', 'accept'] as const) {
      for (let i = 0; i < 30; i++) expect((await guess(ada, route, i)).statusCode).toBe(404);
      const limited = await guess(ada, route, 30);
      expect(limited.statusCode).toBe(429);
      expect(errorOf(limited).code).toBe('RATE_LIMITED');
      expect((await guess(bob, route, 0)).statusCode).toBe(404);
    }
  });

  it('personal workspaces cannot invite; members and viewers cannot invite; only an owner invites owners', async () => {
    const ada = await dashboardPerson(t, 'ada@example.com');
    const bob = await dashboardPerson(t, 'bob@example.com');
    const personal = await dash(ada, 'POST', '/v1/invitations', { role: 'member' });
    expect(personal.statusCode).toBe(400);
    expect(errorOf(personal).message).toContain('personal workspace');
    const team = await createTeam(ada);
    await join(ada, team, bob, 'admin');
    const asOwner = await dash(bob, 'POST', '/v1/invitations', { role: 'owner' }, inWs(team));
    expect(asOwner.statusCode).toBe(403);
    expect((await dash(bob, 'POST', '/v1/invitations', { role: 'admin' }, inWs(team))).statusCode).toBe(201);
    expect((await dash(ada, 'POST', '/v1/invitations', { role: 'owner' }, inWs(team))).statusCode).toBe(201);
  });
});

describe('roles and the last owner', () => {
  it('the last owner can be neither demoted, removed nor leave (409 LAST_OWNER); with two owners one may leave', async () => {
    const ada = await dashboardPerson(t, 'ada@example.com');
    const bob = await dashboardPerson(t, 'bob@example.com');
    const team = await createTeam(ada);
    await join(ada, team, bob, 'member');
    for (const res of [await dash(ada, 'PATCH', `/v1/members/${ada.user.id}`, { role: 'admin' }, inWs(team)), await dash(ada, 'DELETE', `/v1/members/${ada.user.id}`, undefined, inWs(team))]) {
      expect(res.statusCode, res.body).toBe(409);
      expect(errorOf(res).code).toBe('LAST_OWNER');
    }
    expect((await membersOf(ada, team)).myRole).toBe('owner');
    // Bob is made owner; then Ada may leave, and Bob is the last owner.
    const promoted = await dash(ada, 'PATCH', `/v1/members/${bob.user.id}`, { role: 'owner' }, inWs(team));
    expect(promoted.statusCode, promoted.body).toBe(200);
    expect((promoted.json() as { member: { role: string } }).member.role).toBe('owner');
    expect((await dash(ada, 'DELETE', `/v1/members/${ada.user.id}`, undefined, inWs(team))).statusCode).toBe(204);
    expect((await dash(ada, 'GET', '/v1/members', undefined, inWs(team))).statusCode).toBe(404);
    expect(errorOf(await dash(bob, 'DELETE', `/v1/members/${bob.user.id}`, undefined, inWs(team))).code).toBe('LAST_OWNER');
    const actions = (await t.runtime.services.audit.listForWorkspace(team, 20)).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['member.role', 'member.remove']));
  });

  it('an admin manages members and viewers but not owners; a member may leave; removing a stranger is 404', async () => {
    const ada = await dashboardPerson(t, 'ada@example.com');
    const bob = await dashboardPerson(t, 'bob@example.com');
    const cat = await dashboardPerson(t, 'cat@example.com');
    const dan = await dashboardPerson(t, 'dan@example.com');
    const team = await createTeam(ada);
    await join(ada, team, bob, 'admin');
    await join(ada, team, cat, 'member');
    expect((await dash(bob, 'PATCH', `/v1/members/${cat.user.id}`, { role: 'viewer' }, inWs(team))).statusCode).toBe(200);
    expect((await dash(bob, 'PATCH', `/v1/members/${cat.user.id}`, { role: 'owner' }, inWs(team))).statusCode).toBe(403);
    expect((await dash(bob, 'PATCH', `/v1/members/${ada.user.id}`, { role: 'member' }, inWs(team))).statusCode).toBe(403);
    expect((await dash(bob, 'DELETE', `/v1/members/${ada.user.id}`, undefined, inWs(team))).statusCode).toBe(403);
    expect((await dash(bob, 'DELETE', `/v1/members/${dan.user.id}`, undefined, inWs(team))).statusCode).toBe(404);
    expect((await dash(cat, 'DELETE', `/v1/members/${cat.user.id}`, undefined, inWs(team))).statusCode).toBe(204);
    expect((await membersOf(ada, team)).members.map((m) => m.email)).toEqual(['ada@example.com', 'bob@example.com']);
  });

  it('a personal workspace lists its one member, cannot be managed and cannot be deleted', async () => {
    const ada = await dashboardPerson(t, 'ada@example.com');
    expect(await membersOf(ada, ada.workspace.id)).toMatchObject({ kind: 'personal', myRole: 'owner', canManage: false, members: [{ userId: ada.user.id, role: 'owner' }] });
    const del = await dash(ada, 'DELETE', '/v1/workspace', { confirm: ada.workspace.name });
    expect(del.statusCode).toBe(400);
    expect(errorOf(del).message).toContain('personal workspace');
    expect((await dash(ada, 'DELETE', `/v1/members/${ada.user.id}`)).statusCode).toBe(400);
  });

  it('a role change applies to memory writes at once on this instance', async () => {
    const ada = await dashboardPerson(t, 'ada@example.com');
    const bob = await dashboardPerson(t, 'bob@example.com');
    const team = await createTeam(ada);
    await join(ada, team, bob, 'member');
    const { key } = await t.createKey({ user: bob.user, workspace: { ...bob.workspace, id: team } }, { name: 'bob laptop' });
    await t.addMemory(key, 'bob writes while a member');
    expect((await dash(ada, 'PATCH', `/v1/members/${bob.user.id}`, { role: 'viewer' }, inWs(team))).statusCode).toBe(200);
    const refused = await t.call('POST', '/api/v1/memories', { key, body: { content: 'bob writes as a viewer' } });
    expect(refused.statusCode).toBe(403);
    expect(errorOf(refused).code).toBe('FORBIDDEN');
    expect((await t.call('GET', '/api/v1/memories', { key })).statusCode).toBe(200);
    expect((await dash(ada, 'PATCH', `/v1/members/${bob.user.id}`, { role: 'member' }, inWs(team))).statusCode).toBe(200);
    expect((await t.call('POST', '/api/v1/memories', { key, body: { content: 'bob writes again' } })).statusCode).toBe(201);
  });
});

describe('deleting a shared workspace', () => {
  it('needs its exact name, takes its memories and keys with it, and leaves the owner their personal workspace', async () => {
    const ada = await dashboardPerson(t, 'ada@example.com');
    const bob = await dashboardPerson(t, 'bob@example.com');
    const team = await createTeam(ada, 'Research');
    await join(ada, team, bob, 'member');
    const { key } = await t.createKey({ user: bob.user, workspace: { ...bob.workspace, id: team } }, { name: 'bob key' });
    await t.addMemory(key, 'team knowledge');
    await invite(ada, team, { role: 'viewer' });
    const wrong = await dash(ada, 'DELETE', '/v1/workspace', { confirm: 'research' }, inWs(team));
    expect(wrong.statusCode).toBe(400);
    expect((await dash(ada, 'DELETE', '/v1/workspace', { confirm: 'Research' }, inWs(team))).statusCode).toBe(204);
    const db = t.runtime.storage.db;
    for (const table of ['memories', 'memberships', 'api_keys', 'apps', 'workspace_invitations'] as const) {
      expect((await db.selectFrom(table).select('workspace_id').where('workspace_id', '=', team).execute()).length, table).toBe(0);
    }
    expect((await t.call('GET', '/api/v1/memories', { key })).statusCode).toBe(401);
    expect((await dash(bob, 'GET', '/v1/memories', undefined, inWs(team))).statusCode).toBe(404);
    const me = (await dash(ada, 'GET', '/v1/me')).json() as { workspaces: { id: string }[] };
    expect(me.workspaces.map((w) => w.id)).toEqual([ada.workspace.id]);
    expect((await t.runtime.services.audit.listForWorkspace(team, 50)).map((e) => e.action)).toContain('workspace.delete');
  });
});

describe('workspace-bound credentials', () => {
  it('a key bound to shared workspace S never reaches the holder’s personal workspace P, whatever the request says', async () => {
    const ada = await dashboardPerson(t, 'ada@example.com');
    const team = await createTeam(ada);
    const { key: personalKey } = await t.createKey(ada, { name: 'personal' });
    const secret = await t.addMemory(personalKey, 'personal secret of ada');
    const { key } = await t.createKey({ user: ada.user, workspace: { ...ada.workspace, id: team } }, { name: 'team key' });
    const shared = await t.addMemory(key, 'shared note of the team');
    const widen = { 'x-cairn-workspace': ada.workspace.id };
    for (const [method, body] of [
      ['GET', undefined],
      ['PATCH', { metadata: { stolen: true } }],
      ['DELETE', undefined],
    ] as const) {
      const res = await t.call(method, `/api/v1/memories/${secret.id}?user_id=${ada.user.id}&workspace_id=${ada.workspace.id}`, { key, headers: widen, ...(body ? { body } : {}) });
      expect(res.statusCode, `${method} ${res.body}`).toBe(404);
      expect(errorOf(res).code).toBe('NOT_FOUND');
    }
    const list = await t.call('GET', `/api/v1/memories?user_id=${ada.user.id}`, { key, headers: widen });
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain(shared.id);
    expect(list.body).not.toContain(secret.id);
    const search = await t.call('POST', '/api/v1/memories/search', { key, headers: widen, body: { query: 'personal secret' } });
    expect(search.statusCode).toBe(200);
    expect(search.body).not.toContain(secret.id);
    // The personal memory is untouched.
    expect((await t.call('GET', `/api/v1/memories/${secret.id}`, { key: personalKey })).json()).toMatchObject({ memory: { state: 'active', metadata: {} } });
  });

  it("a removed member's key, OAuth grant and client stop working at once, and their dashboard no longer opens the workspace", async () => {
    const ada = await dashboardPerson(t, 'ada@example.com');
    const bob = await dashboardPerson(t, 'bob@example.com');
    const team = await createTeam(ada);
    await join(ada, team, bob, 'member');
    const { key } = await t.createKey({ user: bob.user, workspace: { ...bob.workspace, id: team } }, { name: 'bob key' });
    await t.addMemory(key, 'written before removal');
    // An OAuth grant and a client-credentials client of bob's in the team, each with a live token.
    const oauth = t.runtime.services.oauth;
    const app = await t.runtime.services.apps.ensure(team, 'bob oauth app', t.clock.now());
    const scopes = ['memories:read', 'memories:write'];
    const tokens = [
      await recordGrant(oauth, { userId: bob.user.id, workspaceId: team, appId: app.id }, scopes),
      await createMachineClient(oauth, { userId: bob.user.id, workspaceId: team }, scopes),
    ];
    const bearers = await Promise.all(tokens.map((s) => signWithCurrentKey(oauth.keys, accessTokenClaims(t.runtime.config.http.publicUrl, s, t.clock.now(), 3600))));
    for (const bearer of bearers) expect((await t.call('GET', '/api/v1/memories', { key: bearer })).statusCode).toBe(200);
    expect((await dash(ada, 'DELETE', `/v1/members/${bob.user.id}`, undefined, inWs(team))).statusCode).toBe(204);
    for (const bearer of bearers) expect((await t.call('GET', '/api/v1/memories', { key: bearer })).statusCode).toBe(401);
    const res = await t.call('GET', '/api/v1/memories', { key });
    expect(res.statusCode).toBe(401);
    expect((await t.call('POST', '/api/v1/memories', { key, body: { content: 'after removal' } })).statusCode).toBe(401);
    expect((await dash(bob, 'GET', '/v1/memories', undefined, inWs(team))).statusCode).toBe(404);
    // What bob wrote stays in the team, with bob as its author.
    const list = (await dash(ada, 'GET', '/v1/memories', undefined, inWs(team))).body;
    expect(list).toContain('written before removal');
  });
});
