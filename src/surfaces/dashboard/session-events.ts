import type { FastifyRequest } from 'fastify';
import { credentialEvent, type AuditEvent } from '../../core/audit/audit.js';
import type { Clock } from '../../core/clock.js';
import { principalOf } from '../auth-hook.js';

/** The audit event for a session the signed-in person ended (their own: sessions are per person). */
export function sessionRevoked(req: FastifyRequest, clock: Clock, sessionId: string, detail: Record<string, unknown>): AuditEvent {
  const p = principalOf(req);
  return credentialEvent('session.revoke', p, { kind: p.credential.kind, credentialId: p.credential.id, requestId: req.id }, sessionId, clock.now(), detail, p.appId);
}
