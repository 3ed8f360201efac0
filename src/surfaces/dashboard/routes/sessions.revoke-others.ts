import { z } from 'zod';
import { errorResponses } from '../../rest/views.js';
import { sessionOf } from '../authenticate.js';
import type { DashboardApp, DashboardDeps } from '../types.js';
import { sessionRevoked } from '../session-events.js';

/** POST /v1/sessions/revoke-others: signs out every session of the person but this one. */
export function sessionsRevokeOthers(app: DashboardApp, { accounts, audit, clock }: Pick<DashboardDeps, 'accounts' | 'audit' | 'clock'>): void {
  app.post('/v1/sessions/revoke-others', { schema: { response: { 200: z.object({ revoked: z.number().int() }), ...errorResponses } } }, async (req) => {
    const me = sessionOf(req);
    const ended = await accounts.endSessions(me.userId, (id) => id !== me.sessionId);
    if (ended.length > 0) await audit.append(ended.map((id) => sessionRevoked(req, clock, id, { others: true })));
    return { revoked: ended.length };
  });
}
