import { z } from 'zod';
import { notFound } from '../../../errors/app-error.js';
import { errorResponses, IdParams } from '../../rest/views.js';
import { sessionOf } from '../authenticate.js';
import type { DashboardApp, DashboardDeps } from '../types.js';
import { sessionRevoked } from '../session-events.js';

/** DELETE /v1/sessions/:id: signs one of the person's sessions out (their own current one included). */
export function sessionsRevoke(app: DashboardApp, { accounts, audit, clock }: Pick<DashboardDeps, 'accounts' | 'audit' | 'clock'>): void {
  app.delete('/v1/sessions/:id', { schema: { params: IdParams, response: { 204: z.null(), ...errorResponses } } }, async (req, reply) => {
    const me = sessionOf(req);
    // Only the person's own sessions are looked at, so another person's session id is simply not found.
    const ended = await accounts.endSessions(me.userId, (id) => id === req.params.id);
    if (ended.length === 0) throw notFound('Session');
    await audit.append([sessionRevoked(req, clock, req.params.id, { current: req.params.id === me.sessionId })]);
    return reply.code(204).send(null);
  });
}
