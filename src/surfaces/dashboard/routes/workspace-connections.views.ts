import { z } from 'zod';
import { ROLES } from '../../../core/users/user.js';
import type { CredentialHolder } from '../../../core/workspaces/managers.js';
import type { ClientView } from '../../../oauth/clients.js';
import type { GrantRecord } from '../../../oauth/grants.js';
import { ConnectionView, OAuthClientView, toConnectionView, toOAuthClientView } from '../../rest/oauth-views.js';

/** Who holds a credential of the workspace; role null: no longer a member (the credential no longer works). */
export const HolderView = z.object({ userId: z.string(), email: z.string(), name: z.string().nullable(), role: z.enum(ROLES).nullable() });

export const WorkspaceConnectionView = z.object({ ...ConnectionView.shape, holder: HolderView });
export const WorkspaceOAuthClientView = z.object({ ...OAuthClientView.shape, holder: HolderView });

const holderView = (h: CredentialHolder): z.infer<typeof HolderView> => ({ userId: h.userId, email: h.email, name: h.name, role: h.role });

export function toWorkspaceConnectionView(g: GrantRecord & { holder: CredentialHolder }, redirectHosts: readonly string[]): z.infer<typeof WorkspaceConnectionView> {
  return { ...toConnectionView(g, redirectHosts), holder: holderView(g.holder) };
}

export function toWorkspaceOAuthClientView(c: ClientView & { holder: CredentialHolder }): z.infer<typeof WorkspaceOAuthClientView> {
  return { ...toOAuthClientView(c), holder: holderView(c.holder) };
}
