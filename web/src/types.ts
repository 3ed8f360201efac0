/** Wire shapes of /dashboard/api (docs/dashboard-api.md and /api/v1/openapi.json). Times are ISO strings. */
export type MemoryState = 'active' | 'archived' | 'deleted';
export type Scope = 'memories:read' | 'memories:write' | 'memories:delete' | 'admin';
export const SCOPES: readonly Scope[] = ['memories:read', 'memories:write', 'memories:delete', 'admin'];
export const MEMORY_SCOPES: readonly Scope[] = ['memories:read', 'memories:write', 'memories:delete'];

export interface Me {
  user: { id: string; email: string; name: string | null; isAdmin: boolean };
  workspace: { id: string; name: string; role: string };
  workspaces: { id: string; name: string; kind: string; role: string }[];
  session: { id: string };
  publicUrl: string;
  mcpUrl: string;
}

export interface Memory {
  id: string;
  content: string;
  metadata: Record<string, unknown>;
  state: MemoryState;
  app: { id: string; name: string };
  authorUserId: string;
  workspaceId: string;
  createdAt: string;
  updatedAt: string;
}
export interface MemoryPage {
  memories: Memory[];
  nextCursor: string | null;
}
export interface SearchResults {
  results: { memory: Memory; score: number }[];
}
export interface Facets {
  counts: { active: number; archived: number; deleted: number };
  apps: { id: string; name: string; count: number }[];
  authors: { userId: string; name: string | null; email: string; count: number }[];
}

export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  scopes: Scope[];
  workspaceId: string;
  status: 'active' | 'revoked' | 'expired';
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
  usageCount: number;
  rotatedTo: string | null;
}
export interface CreatedKey {
  key: string;
  apiKey: ApiKey;
}
export interface RotatedKey {
  key: string;
  apiKey: ApiKey;
  previous: ApiKey;
}

export interface Connection {
  id: string;
  client: { id: string; name: string };
  /** Distinct hosts (with port) of the client's registered redirect URIs; [] when its metadata is not stored. */
  redirectHosts: string[];
  workspaceId: string;
  appId: string;
  scopes: Scope[];
  status: 'active' | 'revoked';
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}
export interface OAuthClient {
  id: string;
  name: string;
  scopes: Scope[];
  workspaceId: string;
  appId: string;
  createdAt: string;
  secretRotatedAt: string | null;
  lastUsedAt: string | null;
}

export interface Session {
  id: string;
  current: boolean;
  device: string;
  userAgent: string | null;
  ipAddress: string | null;
  createdAt: string;
  lastActiveAt: string;
  expiresAt: string;
}

export interface ActivityEvent {
  id: string;
  at: string;
  action: string;
  userId: string | null;
  credential: { kind: string; id: string | null } | null;
  app: { id: string; name: string } | null;
  target: string | null;
  requestId: string | null;
  detail: unknown;
}
export interface ActivityPage {
  events: ActivityEvent[];
  nextCursor: string | null;
}
export interface DailyCounts {
  days: { date: string; app: { id: string; name: string }; count: number }[];
}

export interface ConnectClient {
  id: string;
  name: string;
  auth: 'oauth' | 'api_key';
  steps: string[];
  snippets: { label: string; language: 'text' | 'shell' | 'json'; text: string }[];
}
export interface ConnectInfo {
  publicUrl: string;
  mcpUrl: string;
  clients: ConnectClient[];
}

export interface AdminUser {
  id: string;
  email: string;
  name: string | null;
  isAdmin: boolean;
  disabledAt: string | null;
  createdAt: string;
  memoryCount: number;
  lastActiveAt: string | null;
}

/** What an app may do in the workspace (GET /apps, PATCH /apps/:id). */
export type AppAccess = 'full' | 'read_only' | 'paused';
export interface WorkspaceApp {
  id: string;
  name: string;
  access: AppAccess;
  accessChangedAt: string | null;
  createdAt: string;
}

/** One version of a memory (GET /memories/:id/history), newest first. */
export interface MemoryVersion {
  version: number;
  action: 'create' | 'update' | 'delete' | 'baseline';
  content: string;
  metadata: Record<string, unknown>;
  state: MemoryState;
  at: string;
  userId: string | null;
  app: { id: string; name: string } | null;
  credential: { kind: string; id: string | null } | null;
  requestId: string | null;
}

/** A person's role in a workspace, strongest first (docs/dashboard-api.md, "Members and invitations"). */
export type Role = 'owner' | 'admin' | 'member' | 'viewer';
export const ROLES: readonly Role[] = ['owner', 'admin', 'member', 'viewer'];

/** GET /members: the workspace's people and what the signed-in person may do with them. */
export interface Member {
  userId: string;
  email: string;
  name: string | null;
  role: Role;
  joinedAt: string;
}
/** GET /workspace/keys (owners and admins): every key of the workspace with who holds it; role null = no longer a member. */
export interface WorkspaceKey extends ApiKey {
  holder: CredentialHolder;
}
/** Who holds a credential of the workspace (owners' and admins' lists); role null = no longer a member. */
export interface CredentialHolder {
  userId: string;
  email: string;
  name: string | null;
  role: Role | null;
}
/** GET /workspace/connections and /workspace/oauth-clients (owners and admins). */
export interface WorkspaceConnection extends Connection {
  holder: CredentialHolder;
}
export interface WorkspaceOAuthClient extends OAuthClient {
  holder: CredentialHolder;
}
/** POST /workspace/transfer: the new owner and the caller, now an admin. */
export interface Transferred {
  owner: Member;
  previousOwner: Member;
}

export interface MembersPage {
  members: Member[];
  myRole: Role;
  canManage: boolean;
  kind: 'personal' | 'shared';
}

/** A pending invitation (GET /invitations); the token is shown once, at creation. */
export interface Invitation {
  id: string;
  role: Role;
  email: string | null;
  createdAt: string;
  expiresAt: string;
  createdBy: { email: string; name: string | null };
}
export interface CreatedInvitation {
  invitation: Invitation;
  token: string;
  url: string;
  /** Whether the link was mailed to `invitation.email` (CAIRN_SMTP_URL set and the server accepted it). */
  mailed: boolean;
  /** Why not, when the invitation has an address: "mail is not configured", "the mail server could not be reached"… */
  mailError?: string;
}
/** POST /invitations/inspect: what accepting would do. */
export interface InvitationPreview {
  workspace: { name: string };
  role: Role;
  email: string | null;
  expiresAt: string;
  invitedBy: { email: string; name: string | null };
}
export interface WorkspaceSummary {
  id: string;
  name: string;
  kind: string;
  role: Role;
}
