import type { LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Role } from '../../core/users/user.js';
import { accessTokenClaims, createMachineClient, recordGrant, signWithCurrentKey, type TokenSubject } from '../../testing/access-tokens.js';
import { buildTestApp, type TestApp } from '../../testing/build-test-app.js';
import { cookieHeader, createAccountUser } from '../../testing/accounts.js';
import { dashboardRequest, type DashboardPerson } from '../../testing/dashboard.js';

// Workspace administration (issue 5) through the dashboard's routes: the owners and admins of a shared
// workspace list and revoke every key in it, and an owner hands the workspace over in one action. A real
// app on in-memory SQLite (with the default 30-second credential cache, so "stops at once" is the
// verifier being told, not a cache miss), people signed in through the real login.

let t: TestApp;

beforeEach(async () => {
  t = await buildTestApp();
});
afterEach(async () => t.close());

let signIns = 0;

async function person(email: string): Promise<DashboardPerson> {
  const { user, workspace, password } = await createAccountUser(t.runtime.services, email);
  signIns += 1;
  const cookie = cookieHeader(await t.runtime.services.accounts.signIn(email, password, `10.1.${Math.floor(signIns / 250)}.${signIns % 250}`));
  if (!cookie) throw new Error(`signing in as ${email} set no cookie`);
  return { user, workspace, cookie };
}

const dash = (who: { cookie: string }, method: string, url: string, body?: unknown, headers: Record<string, string> = {}) => dashboardRequest(t, who, method, url, body, headers);
const errorOf = (res: LightMyRequestResponse) => (res.json() as { error: { code: string; message: string } }).error;
const inWs = (id: string) => ({ 'x-cairn-workspace': id });

/** A shared workspace of `owner` with each of `others` joined (through a real invitation) in the given role. */
async function team(owner: DashboardPerson, others: readonly [DashboardPerson, Role][], name = 'Team'): Promise<string> {
  const created = await dash(owner, 'POST', '/v1/workspaces', { name });
  expect(created.statusCode, created.body).toBe(201);
  const id = (created.json() as { workspace: { id: string } }).workspace.id;
  for (const [who, role] of others) {
    const inv = await dash(owner, 'POST', '/v1/invitations', { role }, inWs(id));
    expect(inv.statusCode, inv.body).toBe(201);
    const joined = await dash(who, 'POST', '/v1/invitations/accept', { token: (inv.json() as { token: string }).token });
    expect(joined.statusCode, joined.body).toBe(200);
  }
  return id;
}

/** A key `who` holds in workspace `ws`, used once so the verifier has it cached. */
async function usedKey(who: DashboardPerson, ws: string, name: string): Promise<{ key: string; id: string }> {
  const { key, view } = await t.runtime.services.apiKeys.create({ userId: who.user.id, workspaceId: ws }, { name, scopes: ['memories:read', 'memories:write'] }, { kind: 'cli', credentialId: null });
  expect((await t.call('GET', '/api/v1/memories', { key })).statusCode).toBe(200);
  return { key, id: view.id };
}

interface KeyRow {
  id: string;
  name: string;
  prefix: string;
  status: string;
  workspaceId: string;
  lastUsedAt: string | null;
  holder: { userId: string; email: string; name: string | null; role: Role | null };
}

async function keysOf(who: DashboardPerson, ws: string): Promise<KeyRow[]> {
  const res = await dash(who, 'GET', '/v1/workspace/keys', undefined, inWs(ws));
  expect(res.statusCode, res.body).toBe(200);
  return (res.json() as { keys: KeyRow[] }).keys;
}

async function rolesIn(who: DashboardPerson, ws: string): Promise<Record<string, Role>> {
  const res = await dash(who, 'GET', '/v1/members', undefined, inWs(ws));
  expect(res.statusCode, res.body).toBe(200);
  return Object.fromEntries((res.json() as { members: { email: string; role: Role }[] }).members.map((m) => [m.email, m.role]));
}

describe("the workspace's keys, for its owners and admins", () => {
  it("lists every member's key in the workspace with its holder, and nothing of another workspace; never a key or its hash", async () => {
    const ada = await person('ada@example.com');
    const bob = await person('bob@example.com');
    const cy = await person('cy@example.com');
    const ws = await team(ada, [
      [bob, 'member'],
      [cy, 'admin'],
    ]);
    const bobs = await usedKey(bob, ws, 'bob laptop');
    const adas = await usedKey(ada, ws, 'ada laptop');
    const elsewhere = await usedKey(bob, bob.workspace.id, 'bob personal');
    await t.runtime.services.usage.flush();

    for (const manager of [ada, cy]) {
      const keys = await keysOf(manager, ws);
      expect(keys.map((k) => k.id).sort()).toEqual([bobs.id, adas.id].sort());
      expect(keys.find((k) => k.id === bobs.id)).toMatchObject({
        name: 'bob laptop',
        status: 'active',
        workspaceId: ws,
        lastUsedAt: expect.any(String),
        holder: { userId: bob.user.id, email: 'bob@example.com', role: 'member' },
      });
    }
    const body = (await dash(ada, 'GET', '/v1/workspace/keys', undefined, inWs(ws))).body;
    for (const secret of [bobs.key, adas.key, elsewhere.key]) expect(body).not.toContain(secret);
    expect(body).not.toContain(elsewhere.id);
    expect(body).not.toMatch(/"hash"/);
  });

  it("a member or viewer can neither list nor revoke others' keys (403 FORBIDDEN) and the key keeps working", async () => {
    const ada = await person('ada@example.com');
    const bob = await person('bob@example.com');
    const vic = await person('vic@example.com');
    const ws = await team(ada, [
      [bob, 'member'],
      [vic, 'viewer'],
    ]);
    const adas = await usedKey(ada, ws, 'ada laptop');
    for (const [who, role] of [
      [bob, 'member'],
      [vic, 'viewer'],
    ] as const) {
      const list = await dash(who, 'GET', '/v1/workspace/keys', undefined, inWs(ws));
      expect(list.statusCode, list.body).toBe(403);
      expect(errorOf(list)).toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining(role) });
      const revoke = await dash(who, 'DELETE', `/v1/workspace/keys/${adas.id}`, undefined, inWs(ws));
      expect(revoke.statusCode, revoke.body).toBe(403);
      expect(errorOf(revoke).code).toBe('FORBIDDEN');
    }
    expect((await t.call('GET', '/api/v1/memories', { key: adas.key })).statusCode).toBe(200);
    expect((await keysOf(ada, ws)).find((k) => k.id === adas.id)?.status).toBe('active');
  });

  it("an admin's revoke stops the key at once (401 on the next request), is audited as key.revoke by the admin, and a repeat is a 204 no-op", async () => {
    const ada = await person('ada@example.com');
    const bob = await person('bob@example.com');
    const cy = await person('cy@example.com');
    const ws = await team(ada, [
      [bob, 'member'],
      [cy, 'admin'],
    ]);
    const bobs = await usedKey(bob, ws, 'bob laptop');
    const res = await dash(cy, 'DELETE', `/v1/workspace/keys/${bobs.id}`, undefined, inWs(ws));
    expect(res.statusCode, res.body).toBe(204);
    const after = await t.call('GET', '/api/v1/memories', { key: bobs.key });
    expect(after.statusCode, after.body).toBe(401);
    expect((await keysOf(ada, ws)).find((k) => k.id === bobs.id)?.status).toBe('revoked');
    // Bob sees his own key revoked too (the own-keys page).
    const own = (await dash(bob, 'GET', '/v1/keys', undefined, inWs(ws))).json() as { keys: { id: string; status: string }[] };
    expect(own.keys.find((k) => k.id === bobs.id)?.status).toBe('revoked');

    const events = (await t.runtime.services.audit.listForWorkspace(ws, 50)).filter((e) => e.action === 'key.revoke');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ userId: cy.user.id, credentialKind: 'session', targetId: bobs.id, detail: { holder: bob.user.id, email: 'bob@example.com', byAdmin: true } });

    expect((await dash(cy, 'DELETE', `/v1/workspace/keys/${bobs.id}`, undefined, inWs(ws))).statusCode).toBe(204);
    expect((await t.runtime.services.audit.listForWorkspace(ws, 50)).filter((e) => e.action === 'key.revoke')).toHaveLength(1);
  });

  it("a key of another workspace is 404, even one its admin holds, and stays active; an unknown id is 404", async () => {
    const ada = await person('ada@example.com');
    const bob = await person('bob@example.com');
    const ws = await team(ada, [[bob, 'member']]);
    const other = await team(bob, [], 'Other');
    const bobsOther = await usedKey(bob, other, 'bob other');
    const bobsPersonal = await usedKey(bob, bob.workspace.id, 'bob personal');
    const adasPersonal = await usedKey(ada, ada.workspace.id, 'ada personal');
    for (const id of [bobsOther.id, bobsPersonal.id, adasPersonal.id, 'key_nope']) {
      const res = await dash(ada, 'DELETE', `/v1/workspace/keys/${id}`, undefined, inWs(ws));
      expect(res.statusCode, res.body).toBe(404);
      expect(errorOf(res).code).toBe('NOT_FOUND');
    }
    for (const k of [bobsOther, bobsPersonal, adasPersonal]) expect((await t.call('GET', '/api/v1/memories', { key: k.key })).statusCode).toBe(200);
  });

  it("a former member's key stays listed with no role, and can still be revoked", async () => {
    const ada = await person('ada@example.com');
    const bob = await person('bob@example.com');
    const ws = await team(ada, [[bob, 'member']]);
    const bobs = await usedKey(bob, ws, 'bob laptop');
    expect((await dash(ada, 'DELETE', `/v1/members/${bob.user.id}`, undefined, inWs(ws))).statusCode).toBe(204);
    expect((await keysOf(ada, ws)).find((k) => k.id === bobs.id)).toMatchObject({ status: 'active', holder: { email: 'bob@example.com', role: null } });
    expect((await dash(ada, 'DELETE', `/v1/workspace/keys/${bobs.id}`, undefined, inWs(ws))).statusCode).toBe(204);
    expect((await keysOf(ada, ws)).find((k) => k.id === bobs.id)?.status).toBe('revoked');
  });
});

/** A connected app (grant) and a client-credentials client `who` holds in `ws`, each with a token that works now. */
async function oauthOf(who: DashboardPerson, ws: string, label: string): Promise<{ grant: TokenSubject; client: TokenSubject; grantToken: string; clientToken: string }> {
  const oauth = t.runtime.services.oauth;
  const app = await t.runtime.services.apps.ensure(ws, `${label} app`, t.clock.now());
  const scopes = ['memories:read', 'memories:write'];
  const grant = await recordGrant(oauth, { userId: who.user.id, workspaceId: ws, appId: app.id }, scopes);
  const client = await createMachineClient(oauth, { userId: who.user.id, workspaceId: ws }, scopes);
  const [grantToken, clientToken] = await Promise.all([grant, client].map((s) => signWithCurrentKey(oauth.keys, accessTokenClaims(t.runtime.config.http.publicUrl, s, t.clock.now(), 3600))));
  for (const token of [grantToken!, clientToken!]) expect((await t.call('GET', '/api/v1/memories', { key: token })).statusCode).toBe(200);
  return { grant, client, grantToken: grantToken!, clientToken: clientToken! };
}

describe("the workspace's connected apps and clients, for its owners and admins", () => {
  it("an admin lists every member's grants and clients with their holder, and disconnecting or deleting one stops its token at once; audited by the admin", async () => {
    const ada = await person('ada@example.com');
    const bob = await person('bob@example.com');
    const cy = await person('cy@example.com');
    const ws = await team(ada, [
      [bob, 'member'],
      [cy, 'admin'],
    ]);
    const bobs = await oauthOf(bob, ws, 'bob');
    const elsewhere = await oauthOf(bob, bob.workspace.id, 'bob personal');

    const connections = await dash(cy, 'GET', '/v1/workspace/connections', undefined, inWs(ws));
    expect(connections.statusCode, connections.body).toBe(200);
    const grants = (connections.json() as { connections: { id: string; status: string; holder: { email: string; role: string } }[] }).connections;
    expect(grants.map((g) => g.id)).toEqual([bobs.grant.grantId]);
    expect(grants[0]).toMatchObject({ status: 'active', holder: { email: 'bob@example.com', role: 'member' } });
    const clientsRes = await dash(cy, 'GET', '/v1/workspace/oauth-clients', undefined, inWs(ws));
    expect(clientsRes.statusCode, clientsRes.body).toBe(200);
    const clients = (clientsRes.json() as { clients: { id: string; holder: { email: string } }[] }).clients;
    expect(clients.map((c) => c.id)).toEqual([bobs.client.clientId]);
    expect(clientsRes.body).not.toContain('cairn_cs_');

    expect((await dash(cy, 'DELETE', `/v1/workspace/connections/${bobs.grant.grantId}`, undefined, inWs(ws))).statusCode).toBe(204);
    expect((await t.call('GET', '/api/v1/memories', { key: bobs.grantToken })).statusCode).toBe(401);
    expect((await dash(cy, 'DELETE', `/v1/workspace/oauth-clients/${bobs.client.clientId}`, undefined, inWs(ws))).statusCode).toBe(204);
    expect((await t.call('GET', '/api/v1/memories', { key: bobs.clientToken })).statusCode).toBe(401);
    // Bob's credentials elsewhere are untouched.
    for (const token of [elsewhere.grantToken, elsewhere.clientToken]) expect((await t.call('GET', '/api/v1/memories', { key: token })).statusCode).toBe(200);

    const events = (await t.runtime.services.audit.listForWorkspace(ws, 50)).filter((e) => e.action === 'oauth_grant.revoke' || e.action === 'oauth_client.delete');
    expect(events.map((e) => [e.action, e.targetId, e.userId, e.credentialKind]).sort()).toEqual(
      [
        ['oauth_client.delete', bobs.client.clientId, cy.user.id, 'session'],
        ['oauth_grant.revoke', bobs.grant.grantId, cy.user.id, 'session'],
      ].sort(),
    );
    expect(events.every((e) => e.detail?.['holder'] === bob.user.id && e.detail['byAdmin'] === true)).toBe(true);
  });

  it("a member or viewer gets 403 and another workspace's grant or client is 404; nothing stops", async () => {
    const ada = await person('ada@example.com');
    const bob = await person('bob@example.com');
    const vic = await person('vic@example.com');
    const ws = await team(ada, [
      [bob, 'member'],
      [vic, 'viewer'],
    ]);
    const adas = await oauthOf(ada, ws, 'ada');
    const bobsPersonal = await oauthOf(bob, bob.workspace.id, 'bob personal');
    for (const who of [bob, vic]) {
      for (const [method, url] of [
        ['GET', '/v1/workspace/connections'],
        ['GET', '/v1/workspace/oauth-clients'],
        ['DELETE', `/v1/workspace/connections/${adas.grant.grantId}`],
        ['DELETE', `/v1/workspace/oauth-clients/${adas.client.clientId}`],
      ] as const) {
        const res = await dash(who, method, url, undefined, inWs(ws));
        expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(403);
        expect(errorOf(res).code).toBe('FORBIDDEN');
      }
    }
    for (const url of [`/v1/workspace/connections/${bobsPersonal.grant.grantId}`, `/v1/workspace/oauth-clients/${bobsPersonal.client.clientId}`]) {
      const res = await dash(ada, 'DELETE', url, undefined, inWs(ws));
      expect(res.statusCode, res.body).toBe(404);
      expect(errorOf(res).code).toBe('NOT_FOUND');
    }
    for (const token of [adas.grantToken, adas.clientToken, bobsPersonal.grantToken, bobsPersonal.clientToken]) {
      expect((await t.call('GET', '/api/v1/memories', { key: token })).statusCode).toBe(200);
    }
  });
});

describe('handing a workspace over', () => {
  it('makes the member owner and the caller admin in one action, audited as two member.role events; the last-owner rule still holds', async () => {
    const ada = await person('ada@example.com');
    const bob = await person('bob@example.com');
    const ws = await team(ada, [[bob, 'member']]);
    // Ada's pending owner invitation goes with her owner role (an admin cannot invite owners).
    const ownerInvite = await dash(ada, 'POST', '/v1/invitations', { role: 'owner' }, inWs(ws));
    expect(ownerInvite.statusCode).toBe(201);

    const res = await dash(ada, 'POST', '/v1/workspace/transfer', { userId: bob.user.id }, inWs(ws));
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ owner: { userId: bob.user.id, role: 'owner' }, previousOwner: { userId: ada.user.id, role: 'admin' } });
    expect(await rolesIn(ada, ws)).toEqual({ 'ada@example.com': 'admin', 'bob@example.com': 'owner' });
    const pending = (await dash(ada, 'GET', '/v1/invitations', undefined, inWs(ws))).json() as { invitations: unknown[] };
    expect(pending.invitations).toEqual([]);

    const events = (await t.runtime.services.audit.listForWorkspace(ws, 50)).filter((e) => e.action === 'member.role');
    expect(events.map((e) => [e.targetId, e.detail])).toEqual(
      expect.arrayContaining([
        [bob.user.id, { email: 'bob@example.com', from: 'member', to: 'owner', transfer: true }],
        [ada.user.id, { email: 'ada@example.com', from: 'owner', to: 'admin', transfer: true }],
      ]),
    );
    expect(events).toHaveLength(2);
    expect(events.every((e) => e.userId === ada.user.id)).toBe(true);

    // Ada is an admin now: no second transfer, no touching the owner.
    const again = await dash(ada, 'POST', '/v1/workspace/transfer', { userId: bob.user.id }, inWs(ws));
    expect(again.statusCode).toBe(403);
    expect(errorOf(again).code).toBe('FORBIDDEN');
    expect((await dash(ada, 'PATCH', `/v1/members/${bob.user.id}`, { role: 'member' }, inWs(ws))).statusCode).toBe(403);
    // Bob is the only owner: he can neither step down nor leave.
    const demote = await dash(bob, 'PATCH', `/v1/members/${bob.user.id}`, { role: 'admin' }, inWs(ws));
    expect(demote.statusCode).toBe(409);
    expect(errorOf(demote).code).toBe('LAST_OWNER');
    expect((await dash(bob, 'DELETE', `/v1/members/${bob.user.id}`, undefined, inWs(ws))).statusCode).toBe(409);
    // The roles apply at once: Ada (admin) still writes, Bob manages.
    expect((await dash(ada, 'POST', '/v1/memories', { content: 'after the handover' }, inWs(ws))).statusCode).toBe(201);
    expect((await dash(bob, 'DELETE', '/v1/workspace', { confirm: 'Team' }, inWs(ws))).statusCode).toBe(204);
  });

  it('refuses a non-member (404), yourself and a personal workspace (400), and anyone but an owner (403), changing nothing', async () => {
    const ada = await person('ada@example.com');
    const bob = await person('bob@example.com');
    const cy = await person('cy@example.com');
    const stranger = await person('stranger@example.com');
    const ws = await team(ada, [
      [bob, 'member'],
      [cy, 'admin'],
    ]);
    const before = await rolesIn(ada, ws);

    const outsider = await dash(ada, 'POST', '/v1/workspace/transfer', { userId: stranger.user.id }, inWs(ws));
    expect(outsider.statusCode, outsider.body).toBe(404);
    expect(errorOf(outsider).code).toBe('NOT_FOUND');
    const self = await dash(ada, 'POST', '/v1/workspace/transfer', { userId: ada.user.id }, inWs(ws));
    expect(self.statusCode, self.body).toBe(400);
    expect(errorOf(self).code).toBe('INVALID_INPUT');
    const personal = await dash(ada, 'POST', '/v1/workspace/transfer', { userId: bob.user.id }, inWs(ada.workspace.id));
    expect(personal.statusCode, personal.body).toBe(400);
    expect(errorOf(personal).code).toBe('INVALID_INPUT');
    for (const [who, role] of [
      [cy, 'admin'],
      [bob, 'member'],
    ] as const) {
      const res = await dash(who, 'POST', '/v1/workspace/transfer', { userId: who.user.id === bob.user.id ? cy.user.id : bob.user.id }, inWs(ws));
      expect(res.statusCode, res.body).toBe(403);
      expect(errorOf(res)).toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining(role) });
    }
    expect(await rolesIn(ada, ws)).toEqual(before);
    expect((await t.runtime.services.audit.listForWorkspace(ws, 50)).filter((e) => e.action === 'member.role')).toEqual([]);
  });
});
