import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../../testing/build-test-app.js';

let t: TestApp;

beforeEach(async () => {
  t = await buildTestApp();
});
afterEach(async () => t.close());

describe('GET /v1/me', () => {
  it('describes the user, workspace, scopes, credential and app behind the key', async () => {
    const owner = await t.createUser('Ada@Example.com');
    const { key, id } = await t.createKey(owner, { name: 'reader', scopes: ['memories:write', 'memories:read'] });
    const res = await t.call('GET', '/api/v1/me', { key });
    expect(res.statusCode).toBe(200);
    const body = res.json() as { app: { id: string } };
    expect(body).toMatchObject({
      user: { id: owner.user.id, email: 'ada@example.com', name: null },
      workspace: { id: owner.workspace.id, name: owner.workspace.name, role: 'owner' },
      scopes: ['memories:read', 'memories:write'],
      credential: { kind: 'api_key', id },
    });
    // The app is the one the key writes memories as.
    const written = await t.call('POST', '/api/v1/memories', { key, body: { content: 'x' } });
    expect(written.json()).toMatchObject({ memory: { app: { id: body.app.id, name: 'reader' } } });
  });

  it('answers any valid key, whatever its scopes', async () => {
    const owner = await t.createUser('bob@example.com');
    const { key } = await t.createKey(owner, { scopes: ['memories:delete'] });
    const res = await t.call('GET', '/api/v1/me', { key });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ user: { id: owner.user.id }, scopes: ['memories:delete'] });
  });
});
