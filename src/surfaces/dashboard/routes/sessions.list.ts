import { z } from 'zod';
import { errorResponses } from '../../rest/views.js';
import { sessionOf } from '../authenticate.js';
import { describeDevice } from '../device.js';
import type { DashboardApp, DashboardDeps } from '../types.js';

const Sessions = z.object({
  sessions: z.array(
    z.object({
      id: z.string(),
      current: z.boolean(),
      device: z.string(),
      userAgent: z.string().nullable(),
      ipAddress: z.string().nullable(),
      createdAt: z.string(),
      lastActiveAt: z.string(),
      expiresAt: z.string(),
    }),
  ),
});

const iso = (ms: number) => new Date(ms).toISOString();

/** GET /v1/sessions: the signed-in person's live browser sessions (never their tokens), this one marked `current`. */
export function sessionsList(app: DashboardApp, { accounts }: Pick<DashboardDeps, 'accounts'>): void {
  app.get('/v1/sessions', { schema: { response: { 200: Sessions, ...errorResponses } } }, async (req) => {
    const me = sessionOf(req);
    const sessions = await accounts.sessionsOf(me.userId);
    return {
      sessions: sessions.map((s) => ({
        id: s.id,
        current: s.id === me.sessionId,
        device: describeDevice(s.userAgent),
        userAgent: s.userAgent,
        ipAddress: s.ipAddress,
        createdAt: iso(s.createdAt),
        lastActiveAt: iso(s.lastActiveAt),
        expiresAt: iso(s.expiresAt),
      })),
    };
  });
}
