import { insufficientScope } from '../errors/app-error.js';
import { hasScope, type Scope } from './scopes.js';

/**
 * How the caller proved who it is: an API key; an OAuth access token from an authorization-code grant (a
 * person consented); a client-credentials access token (a machine client acting for its owner); or a browser
 * session (login, consent and dashboard pages only: /api and /mcp never take cookies).
 */
export type CredentialKind = 'api_key' | 'oauth_access_token' | 'client_credentials' | 'session';

/**
 * Who is calling, as proven by the credential and nothing else. Routes and tools receive it from their
 * surface's authenticator; no `user_id` from a URL, body or header ever changes it.
 */
export interface Principal {
  readonly userId: string;
  /** The one workspace this credential acts in. Every store query is scoped to it. */
  readonly workspaceId: string;
  readonly scopes: ReadonlySet<Scope>;
  readonly credential: { readonly kind: CredentialKind; readonly id: string };
  /** The app (client) this credential writes as; memories record it. */
  readonly appId: string;
  /** For the audit log. */
  readonly requestId?: string;
}

/** Throws 403 naming every scope the operation needs unless the principal holds them all. */
export function requireScopes(principal: Principal, ...needed: Scope[]): void {
  const missing = needed.filter((s) => !hasScope(principal.scopes, s));
  if (missing.length > 0) throw insufficientScope(needed);
}
