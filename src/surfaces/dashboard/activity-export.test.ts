import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../testing/build-test-app.js';
import { dashboardPerson, dashboardRequest, type DashboardPerson } from '../../testing/dashboard.js';
import { EXPORT_PAGE } from '../../core/audit/export.js';

let t: TestApp;
beforeEach(async () => {
  t = await buildTestApp();
});
afterEach(async () => t.close());

const dash = (who: DashboardPerson, url: string) => dashboardRequest(t, who, 'GET', url);
const linesOf = (body: string) => body.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { id: string; at: string; action: string; workspaceId: string; target: string | null; app: { name: string } | null });

describe('GET /dashboard/api/v1/activity/export', () => {
  it('downloads the workspace’s audit log as NDJSON, oldest first, across pages, within since/until', async () => {
    const ada = await dashboardPerson(t, 'ada@example.com');
    const { key } = await t.createKey(ada, { name: 'cursor' });
    const first = await t.addMemory(key, 'the first one');
    // More events than one page, so the stream has to go on past the first query.
    const base = t.clock.now();
    const reads = Array.from({ length: EXPORT_PAGE + 20 }, (_, i) => `target_${i}`);
    await t.runtime.services.audit.append(
      reads.map((target, i) => ({ at: base + 1 + i, workspaceId: ada.workspace.id, userId: ada.user.id, credentialKind: 'session' as const, credentialId: null, appId: null, action: 'memory.read' as const, targetId: target, requestId: null, detail: null })),
    );
    t.clock.advance(EXPORT_PAGE + 1000);
    const mid = t.clock.now();
    const last = await t.addMemory(key, 'the newest one');
    const made = [first.id, ...reads];

    const res = await dash(ada, '/v1/activity/export');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
    expect(res.headers['content-disposition']).toMatch(new RegExp(`^attachment; filename="cairn-activity-${ada.workspace.id}-\\d{4}-\\d{2}-\\d{2}\\.ndjson"$`));
    const lines = linesOf(res.body);
    const targets = lines.filter((l) => l.action === 'memory.create' || l.action === 'memory.read').map((l) => l.target);
    expect(targets).toEqual([...made, last.id]);
    expect(lines.every((l) => l.workspaceId === ada.workspace.id)).toBe(true);
    const times = lines.map((l) => Date.parse(l.at));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(lines.find((l) => l.action === 'memory.create')).toMatchObject({ app: { name: 'cursor' } });

    const since = new Date(mid).toISOString();
    const recent = linesOf((await dash(ada, `/v1/activity/export?since=${encodeURIComponent(since)}`)).body);
    expect(recent.map((l) => l.target)).toEqual([last.id]);
    const older = linesOf((await dash(ada, `/v1/activity/export?until=${encodeURIComponent(since)}`)).body);
    expect(older.filter((l) => l.action === 'memory.create' || l.action === 'memory.read').map((l) => l.target)).toEqual(made);
    expect((await dash(ada, `/v1/activity/export?since=${encodeURIComponent(since)}&until=${encodeURIComponent(since)}`)).statusCode).toBe(400);
    expect((await dash(ada, '/v1/activity/export?since=yesterday')).statusCode).toBe(400);
  });

  it('never includes another workspace’s events, and is empty (200) for a workspace with none in range', async () => {
    const ada = await dashboardPerson(t, 'ada@example.com');
    const bob = await dashboardPerson(t, 'bob@example.com');
    const { key } = await t.createKey(bob, { name: 'bobs-client' });
    await t.addMemory(key, 'bob secret');
    // Naming a workspace one is not a member of (the dashboard's workspace switcher header) finds nothing.
    const other = await dashboardRequest(t, ada, 'GET', '/v1/activity/export', undefined, { 'x-cairn-workspace': bob.workspace.id });
    expect(other.statusCode).toBe(404);
    expect(other.body).not.toContain('bobs-client');
    const res = await dashboardRequest(t, ada, 'GET', `/v1/activity/export?workspace=${bob.workspace.id}`, undefined, { 'x-cairn-user': bob.user.id });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain(ada.workspace.id);
    expect(res.body).not.toContain(bob.workspace.id);
    expect(res.body).not.toContain('bobs-client');
    const empty = await dash(ada, `/v1/activity/export?since=${encodeURIComponent(new Date(t.clock.now() + 60_000).toISOString())}`);
    expect(empty.statusCode).toBe(200);
    expect(empty.body).toBe('');
  });
});
