import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { cookieHeader, TEST_PASSWORD } from '../testing/accounts.js';
import { cairnEnv, freePort, runCairn, startCairn, type RunningCairn } from '../testing/cairn-process.js';

// Setup links end to end: the real server process and the real CLI, a real listening socket, real cookies.
const SLOW = { timeout: 120_000 };
const LINK = /(http:\/\/127\.0\.0\.1:\d+\/setup\/[0-9A-Za-z]{32})/;

const dirs: string[] = [];
const servers: RunningCairn[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop('SIGKILL')));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function setting(): Promise<{ dir: string; port: number; env: NodeJS.ProcessEnv }> {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-setup-'));
  dirs.push(dir);
  const port = await freePort();
  return { dir, port, env: cairnEnv({ CAIRN_PORT: String(port) }) };
}

function post(url: string, origin: string, fields: Record<string, string>, cookie?: string): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin, ...(cookie ? { cookie } : {}) },
    body: new URLSearchParams(fields).toString(),
  });
}

describe('first start: the setup link creates the first administrator', () => {
  test('cairn serve prints a one-time link; it creates an admin, signs them in, and then stops working', SLOW, async () => {
    const { dir, port, env } = await setting();
    const server = await startCairn({ cwd: dir, env, port });
    servers.push(server);
    await server.waitForOutput('to create the first admin account');
    const link = LINK.exec(server.stdout())?.[1];
    expect(link).toBeDefined();
    expect(server.stdout()).toContain(`Open ${link} to create the first admin account`);

    const form = await fetch(link!);
    expect(form.status).toBe(200);
    expect(await form.text()).toContain('Create the first administrator');

    const done = await post(link!, server.url, { name: 'Root', email: 'root@example.com', password: TEST_PASSWORD, confirm: TEST_PASSWORD });
    expect(done.status).toBe(303);
    const cookies = done.headers.getSetCookie();
    expect(cookies.find((c) => c.startsWith('cairn.session_token='))).toMatch(/HttpOnly; Secure; SameSite=Lax/i);
    const page = await fetch(`${server.url}/login`, { headers: { cookie: cookieHeader(cookies) } });
    expect(await page.text()).toContain('<strong>Root (root@example.com)</strong>, an administrator');

    expect((await fetch(link!)).status).toBe(404);
    expect((await post(link!, server.url, { name: 'Again', email: 'again@example.com', password: TEST_PASSWORD, confirm: TEST_PASSWORD })).status).toBe(404);

    // The token is in the one line that announces it, never in the request logs of the pages it opened.
    const token = link!.split('/').pop()!;
    const mentions = server.stdout().split('\n').filter((line) => line.includes(token));
    expect(mentions).toHaveLength(1);
    expect(mentions[0]).toContain('to create the first admin account');
    expect(server.stdout()).toContain('"url":"/setup/[redacted]"');
  });
});

describe('cairn user create: a set-password link instead of a password argument', () => {
  test('an admin created by the CLI sets a password through the printed link; setup-link replaces it', SLOW, async () => {
    const { dir, port, env } = await setting();
    const created = await runCairn(['user', 'create', '--email', 'ana@example.com', '--name', 'Ana', '--admin'], { cwd: dir, env });
    expect(created.code).toBe(0);
    const first = LINK.exec(created.stdout)?.[1];
    expect(first).toBeDefined();
    expect(created.stdout).toMatch(/It works once, until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/);

    const again = await runCairn(['user', 'setup-link', '--email', 'ana@example.com', '--json'], { cwd: dir, env });
    expect(again.code).toBe(0);
    const { setupLink } = JSON.parse(again.stdout) as { setupLink: { url: string; expiresAt: string } };
    expect(setupLink.url).toMatch(LINK);
    expect(setupLink.url).not.toBe(first);

    const server = await startCairn({ cwd: dir, env, port });
    servers.push(server);
    // An administrator exists: no first-run link.
    expect(server.stdout()).not.toContain('to create the first admin account');
    expect((await fetch(first!)).status).toBe(404);

    const form = await fetch(setupLink.url);
    expect(form.status).toBe(200);
    expect(await form.text()).toContain('<strong>ana@example.com</strong>');
    const done = await post(setupLink.url, server.url, { password: TEST_PASSWORD, confirm: TEST_PASSWORD });
    expect(done.status).toBe(303);
    const signIn = await post(`${server.url}/login`, server.url, { email: 'ana@example.com', password: TEST_PASSWORD });
    expect(signIn.status).toBe(303);
    expect(signIn.headers.getSetCookie().some((c) => c.startsWith('cairn.session_token='))).toBe(true);

    for (const url of [first!, setupLink.url]) expect(server.stdout()).not.toContain(url.split('/').pop()!);

    const missing = await runCairn(['user', 'setup-link', '--email', 'nobody@example.com'], { cwd: dir, env });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('nobody@example.com');
  });
});
