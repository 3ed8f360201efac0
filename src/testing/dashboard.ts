import type { LightMyRequestResponse } from 'fastify';
import type { User, Workspace } from '../core/users/user.js';
import { createAccountUser, signInCookie } from './accounts.js';
import type { TestApp } from './build-test-app.js';

/** A person with a browser account, signed in through the real login page. */
export interface DashboardPerson {
  readonly user: User;
  readonly workspace: Workspace;
  readonly cookie: string;
}

export async function dashboardPerson(t: TestApp, email: string, opts: { admin?: boolean } = {}): Promise<DashboardPerson> {
  const { user, workspace } = await createAccountUser(t.runtime.services, email, opts);
  return { user, workspace, cookie: await signInCookie(t.app, t.runtime.config.http.publicUrl, email) };
}

/** A request as the dashboard page sends it: the session cookie, and on a change the Origin and X-Cairn-Dashboard headers. */
export function dashboardRequest(t: TestApp, who: { cookie: string }, method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  const changes = method !== 'GET' && method !== 'HEAD';
  return t.app.inject({
    method: method as 'GET',
    url: `/dashboard/api${url}`,
    headers: { cookie: who.cookie, ...(changes ? { origin: t.runtime.config.http.publicUrl, 'x-cairn-dashboard': '1' } : {}), ...headers },
    ...(body !== undefined ? { payload: body as object } : {}),
  });
}
