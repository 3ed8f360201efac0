import { describe, expect, it } from 'vitest';
import type { TestApp } from '../../testing/build-test-app.js';
import { dashboardPerson, dashboardRequest, type DashboardPerson } from '../../testing/dashboard.js';
import { exportOf, memoryRows, serversClosedAfterEach } from '../../testing/transfer-fixtures.js';

// The dashboard's GET /v1/export and POST /v1/import (the session's workspace): the CSRF rule on the upload,
// the roles (a viewer exports but cannot import), one workspace only, and a round trip that gives the REST
// export's bytes.

const server = serversClosedAfterEach();

const NDJSON = { 'content-type': 'application/x-ndjson' };
const graph = (...names: string[]) => names.map((n) => JSON.stringify({ type: 'entity', name: n, entityType: 'person', observations: [`${n} likes tea`] })).join('\n') + '\n';

async function dashImport(t: TestApp, who: DashboardPerson, body: string, query = '', headers: Record<string, string> = NDJSON) {
  return t.app.inject({
    method: 'POST',
    url: `/dashboard/api/v1/import${query}`,
    headers: { cookie: who.cookie, origin: t.runtime.config.http.publicUrl, 'x-cairn-dashboard': '1', ...headers },
    payload: body,
  });
}

describe('POST /dashboard/api/v1/import', () => {
  it('imports a server-memory graph into the session workspace and answers the report', async () => {
    const t = await server();
    const ada = await dashboardPerson(t, 'ada@example.com');
    const res = await dashImport(t, ada, graph('Ada', 'Bob'));
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ format: 'server-memory', created: 2, unchanged: 0, skipped: [], skippedCount: 0 });
    const list = await dashboardRequest(t, ada, 'GET', '/v1/memories');
    expect((list.json() as { memories: { content: string }[] }).memories.map((m) => m.content).sort()).toEqual(['Ada: Ada likes tea', 'Bob: Bob likes tea']);
    // A bad line: abort writes nothing and names the line.
    const bad = await dashImport(t, ada, `${graph('Cy')}{"type":"entity","name":\n`, '?onError=abort');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatchObject({ code: 'IMPORT_INVALID', details: { errorCount: 1, errors: [{ line: 2 }] } });
    expect(await memoryRows(t)).toBe(2);
    const skip = await dashImport(t, ada, `${graph('Cy')}{"type":"entity","name":\n`, '?onError=skip');
    expect(skip.json()).toMatchObject({ created: 1, skippedCount: 1, skipped: [{ line: 2 }] });
  });

  it('is refused without X-Cairn-Dashboard or from another origin, before the body is read, and writes nothing', async () => {
    // A 1 kB limit and a bigger body: the CSRF refusal (an onRequest hook) answers, not the import's 413.
    const t = await server({ CAIRN_IMPORT_MAX_BYTES: '1kb' });
    const ada = await dashboardPerson(t, 'ada@example.com');
    const big = graph(...Array.from({ length: 100 }, (_, i) => `Person ${i}`));
    expect(big.length).toBeGreaterThan(1024);
    const noHeader = await t.app.inject({ method: 'POST', url: '/dashboard/api/v1/import', headers: { cookie: ada.cookie, origin: t.runtime.config.http.publicUrl, ...NDJSON }, payload: big });
    expect(noHeader.statusCode, noHeader.body).toBe(403);
    const crossSite = await dashImport(t, ada, big, '', { ...NDJSON, origin: 'https://evil.example' });
    expect(crossSite.statusCode, crossSite.body).toBe(403);
    expect(await memoryRows(t)).toBe(0);
    // With the header the same body reaches the import, which refuses it for its size.
    expect((await dashImport(t, ada, big)).statusCode).toBe(413);
    expect(await memoryRows(t)).toBe(0);
  });

  it('a viewer of a shared workspace may export it but not import into it (403, nothing written)', async () => {
    const t = await server();
    const owner = await dashboardPerson(t, 'owner@example.com');
    const viewer = await dashboardPerson(t, 'viewer@example.com');
    const created = await dashboardRequest(t, owner, 'POST', '/v1/workspaces', { name: 'Team Tea' });
    const team = (created.json() as { workspace: { id: string } }).workspace;
    const asCli = (userId: string, workspaceId: string) => ({ userId, workspaceId, credential: { kind: 'cli' as const, id: null }, appId: null });
    const { token } = await t.runtime.services.workspaces.invite(asCli(owner.user.id, team.id), { role: 'viewer' });
    await t.runtime.services.workspaces.accept(asCli(viewer.user.id, viewer.workspace.id), token);
    const inTeam = { 'x-cairn-workspace': team.id };
    expect((await dashboardRequest(t, owner, 'POST', '/v1/memories', { content: 'team secret' }, inTeam)).statusCode).toBe(201);
    const before = await memoryRows(t);

    const refused = await dashImport(t, viewer, graph('Eve'), '', { ...NDJSON, ...inTeam });
    expect(refused.statusCode, refused.body).toBe(403);
    expect(refused.json().error.code).toBe('FORBIDDEN');
    expect(await memoryRows(t)).toBe(before);

    const exported = await dashboardRequest(t, viewer, 'GET', '/v1/export', undefined, inTeam);
    expect(exported.statusCode, exported.body).toBe(200);
    expect(exported.headers['content-disposition']).toBe('attachment; filename="cairn-team-tea.jsonl"');
    expect(exported.body).toContain('team secret');
  });
});

describe('GET /dashboard/api/v1/export', () => {
  it('exports only the session workspace', async () => {
    const t = await server();
    const ada = await dashboardPerson(t, 'ada@example.com');
    const bob = await dashboardPerson(t, 'bob@example.com');
    expect((await dashboardRequest(t, ada, 'POST', '/v1/memories', { content: 'ada note' })).statusCode).toBe(201);
    expect((await dashboardRequest(t, bob, 'POST', '/v1/memories', { content: 'bob secret' })).statusCode).toBe(201);
    const res = await dashboardRequest(t, ada, 'GET', '/v1/export');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="cairn-[a-z0-9-]+\.jsonl"$/);
    expect(res.body).toContain('ada note');
    expect(res.body).not.toContain('bob secret');
    // Naming bob's workspace is not-found, never his memories.
    const other = await dashboardRequest(t, ada, 'GET', '/v1/export', undefined, { 'x-cairn-workspace': bob.workspace.id });
    expect(other.statusCode).toBe(404);
    expect(other.body).not.toContain('bob secret');
  });

  it('round trip: the dashboard export is the REST export, and importing it into a fresh server exports the same bytes', async () => {
    const source = await server();
    const ana = await dashboardPerson(source, 'ana@example.com');
    const { key } = await source.createKey(ana, { name: 'test-client' });
    await source.addMemory(key, 'Prefers tea to coffee', { topic: 'drinks', nested: { z: 1, a: [2] } });
    source.clock.advance(1000);
    expect((await dashboardRequest(source, ana, 'POST', '/v1/memories', { content: 'Lives in Lisbon', metadata: { topic: 'places' } })).statusCode).toBe(201);
    const rest = await exportOf(source, key);
    const viaDashboard = await dashboardRequest(source, ana, 'GET', '/v1/export');
    expect(viaDashboard.body).toBe(rest);

    const target = await server();
    const ana2 = await dashboardPerson(target, 'ana@example.com');
    const imported = await dashImport(target, ana2, rest);
    expect(imported.statusCode, imported.body).toBe(200);
    expect(imported.json()).toMatchObject({ format: 'cairn', created: 2, reattributed: 0, skippedCount: 0 });
    expect((await dashboardRequest(target, ana2, 'GET', '/v1/export')).body).toBe(rest);
    // Again: nothing changes.
    expect((await dashImport(target, ana2, rest)).json()).toMatchObject({ created: 0, unchanged: 2 });
  });
});
