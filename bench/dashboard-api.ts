import { performance } from 'node:perf_hooks';
import { newId } from '../src/core/ids.js';
import { contentHash } from '../src/core/memories/memory.js';
import { KyselyMemoryStore } from '../src/storage/memories-repo.js';
import { createAccountUser, signInCookie } from '../src/testing/accounts.js';
import { buildTestApp } from '../src/testing/build-test-app.js';

/**
 * What the dashboard's memories page asks the server for, on one workspace of BENCH_MEMORIES (100,000)
 * memories from 5 apps over 60 days, on in-memory SQLite through `inject` (no network): the first page of
 * the table, the facets (filter menus), a search, a filtered page, the activity page and the daily chart.
 * It prints median and p95 of BENCH_RUNS (30) calls each and never fails on them.
 *
 *   node --import tsx bench/dashboard-api.ts
 */

const MEMORIES = Number(process.env.BENCH_MEMORIES ?? 100_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 30);
const WORDS = ['espresso', 'garden', 'postgres', 'holiday', 'birthday', 'violin', 'marathon', 'recipe', 'invoice', 'python', 'bicycle', 'sunrise'];

async function main(): Promise<void> {
  const t = await buildTestApp();
  try {
    const origin = t.runtime.config.http.publicUrl;
    const { user, workspace } = await createAccountUser(t.runtime.services, 'bench@example.com');
    const cookie = await signInCookie(t.app, origin, 'bench@example.com');
    const apps = await Promise.all(['claude-code', 'cursor', 'chatgpt', 'claude-desktop', 'notes'].map((n) => t.runtime.services.apps.ensure(workspace.id, n, t.clock.now())));
    const store = new KyselyMemoryStore(t.runtime.storage.db, t.runtime.storage.dialect);
    const seedStart = performance.now();
    const start = t.clock.now() - 60 * 86_400_000;
    for (let i = 0; i < MEMORIES; i += 1000) {
      const batch = Array.from({ length: Math.min(1000, MEMORIES - i) }, (_, j) => {
        const n = i + j;
        const content = `Memory ${n}: ${WORDS[n % WORDS.length]} and ${WORDS[(n * 7) % WORDS.length]} on day ${n % 60}`;
        const now = start + Math.floor((n / MEMORIES) * 60 * 86_400_000);
        return { id: newId('mem', now), authorUserId: user.id, appId: apps[n % apps.length]!.id, content, metadata: {}, contentHash: contentHash(content), now };
      });
      await store.insertMany({ workspaceId: workspace.id }, batch, (m) => ({
        at: m.createdAt,
        workspaceId: workspace.id,
        userId: user.id,
        credentialKind: 'api_key' as const,
        credentialId: 'key_bench',
        appId: m.appId,
        action: 'memory.create' as const,
        targetId: m.id,
        requestId: null,
        detail: null,
      }));
    }
    console.log(`seeded ${MEMORIES} memories (and as many audit events) in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`);

    const call = (method: 'GET' | 'POST', url: string, body?: object) =>
      t.app.inject({ method, url: `/dashboard/api${url}`, headers: { cookie, ...(method === 'POST' ? { origin, 'x-cairn-dashboard': '1' } : {}) }, ...(body ? { payload: body } : {}) });
    const scenarios: [string, () => ReturnType<typeof call>][] = [
      ['GET /v1/me', () => call('GET', '/v1/me')],
      ['GET /v1/memories (first 50 rows)', () => call('GET', '/v1/memories?limit=50')],
      ['GET /v1/memories?app=… (filtered)', () => call('GET', `/v1/memories?limit=50&app=${apps[2]!.id}`)],
      ['GET /v1/memories/facets', () => call('GET', '/v1/memories/facets')],
      ['POST /v1/memories/search "violin marathon"', () => call('POST', '/v1/memories/search', { query: 'violin marathon', limit: 20 })],
      ['GET /v1/activity (first 50 events)', () => call('GET', '/v1/activity?limit=50')],
      ['GET /v1/activity/daily (30 days)', () => call('GET', '/v1/activity/daily?days=30')],
      ['GET /v1/activity/daily (90 days)', () => call('GET', '/v1/activity/daily?days=90')],
    ];
    console.log(`\n${'request'.padEnd(46)} ${'median ms'.padStart(10)} ${'p95 ms'.padStart(8)}`);
    for (const [name, run] of scenarios) {
      const first = await run();
      if (first.statusCode !== 200) throw new Error(`${name} answered ${first.statusCode}: ${first.body.slice(0, 300)}`);
      const times: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const s = performance.now();
        await run();
        times.push(performance.now() - s);
      }
      times.sort((a, b) => a - b);
      const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!;
      console.log(`${name.padEnd(46)} ${at(0.5).toFixed(1).padStart(10)} ${at(0.95).toFixed(1).padStart(8)}`);
    }
  } finally {
    await t.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
