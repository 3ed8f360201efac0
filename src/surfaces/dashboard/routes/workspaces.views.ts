import { z } from 'zod';
import { ROLES, type Role, type Workspace } from '../../../core/users/user.js';
import type { InvitationDetails, Member } from '../../../core/workspaces/workspace.js';
import { ErrorView, errorResponses } from '../../rest/views.js';

/** What the shared-workspace routes answer on error: the usual ones, an expired invitation (410) and the rate limit. */
export const workspaceErrorResponses = { ...errorResponses, 410: ErrorView, 429: ErrorView } as const;

export const WorkspaceView = z.object({ id: z.string(), name: z.string(), kind: z.enum(['personal', 'shared']), role: z.enum(ROLES) });

export function toWorkspaceView(w: Workspace & { role: Role }): z.infer<typeof WorkspaceView> {
  return { id: w.id, name: w.name, kind: w.kind, role: w.role };
}

export const MemberView = z.object({ userId: z.string(), email: z.string(), name: z.string().nullable(), role: z.enum(ROLES), joinedAt: z.string() });

export function toMemberView(m: Member): z.infer<typeof MemberView> {
  return { userId: m.userId, email: m.email, name: m.name, role: m.role, joinedAt: new Date(m.joinedAt).toISOString() };
}

const Person = z.object({ email: z.string(), name: z.string().nullable() });

export const InvitationView = z.object({
  id: z.string(),
  role: z.enum(ROLES),
  email: z.string().nullable(),
  createdAt: z.string(),
  expiresAt: z.string(),
  createdBy: Person,
});

export function toInvitationView(i: InvitationDetails): z.infer<typeof InvitationView> {
  return { id: i.id, role: i.role, email: i.email, createdAt: new Date(i.createdAt).toISOString(), expiresAt: new Date(i.expiresAt).toISOString(), createdBy: i.createdBy };
}

/** What the person who opened an invitation link is shown before accepting. */
export const InvitationOfferView = z.object({ workspace: z.object({ name: z.string() }), role: z.enum(ROLES), email: z.string().nullable(), expiresAt: z.string(), invitedBy: Person });

export function toInvitationOfferView(i: InvitationDetails): z.infer<typeof InvitationOfferView> {
  return { workspace: { name: i.workspace.name }, role: i.role, email: i.email, expiresAt: new Date(i.expiresAt).toISOString(), invitedBy: i.createdBy };
}

/** The token travels in a POST body (never a URL, which would reach logs); base62, 32 characters. */
export const TokenBody = z.object({ token: z.string().min(1).max(128) }).strict();

/** Invitation inspect and accept: generous for a person, useless for guessing a 190-bit token. */
export const INVITATION_RATE_LIMIT = { max: 30, timeWindow: 60_000 } as const;
