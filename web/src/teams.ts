/**
 * What the team pages share: role names and what each allows, the wording of the team errors, moving to
 * another workspace, and the invitation token between the link and the invitation page.
 */
import { ApiError, chooseWorkspace, errorMessage } from './api';
import type { Me, Role } from './types';

export const ROLE_LABEL: Record<Role, string> = { owner: 'Owner', admin: 'Admin', member: 'Member', viewer: 'Viewer' };
export const ROLE_HELP: Record<Role, string> = {
  owner: 'everything, including making others owner and deleting the workspace',
  admin: 'read and write memories, manage members, invitations and apps',
  member: 'read and write memories',
  viewer: 'read memories only',
};

/** The current workspace's kind, from the list /me gives (the current one is always in it). */
export function currentKind(me: Me): string {
  return me.workspaces.find((w) => w.id === me.workspace.id)?.kind ?? 'personal';
}

/** Whether the signed-in person may add, change or delete memories here (a viewer only reads). */
export function canWrite(me: Me): boolean {
  return me.workspace.role !== 'viewer';
}

/** The team errors in words a person can act on; anything else keeps the server's message. */
export function teamErrorMessage(e: unknown): string {
  if (!(e instanceof ApiError)) return errorMessage(e);
  switch (e.code) {
    case 'LAST_OWNER':
      return 'A workspace must always have an owner. Make someone else owner first, then try again.';
    case 'INVITATION_EXPIRED':
      return 'This invitation has expired. Ask the person who sent it for a new link.';
    case 'INVITATION_USED':
      return 'This invitation has already been used or was revoked. Each link works once; ask for a new one.';
    case 'INVITATION_EMAIL_MISMATCH':
      return 'This invitation is for another email address. Sign in with the account it was sent to, or ask for a new link.';
    case 'FORBIDDEN':
      return e.message || 'Your role in this workspace does not allow this.';
    default:
      return e.message;
  }
}

/**
 * Moves the dashboard to another workspace (an id the server gave: a new one, an accepted invitation, or
 * null for the personal one after leaving) with a fresh page load, so every list, /me and the switcher
 * start again from that workspace.
 */
export function switchWorkspace(id: string | null, path = '/memories'): void {
  chooseWorkspace(id);
  window.location.assign(path);
}

/** The invitation page's path; its link carries the token in the fragment, which never reaches a server. */
export const INVITE_PATH = '/dashboard/invite';
const TOKEN_KEY = 'cairn.invitation';

/**
 * Run once before the app renders: when the page is the invitation link, the token moves from the fragment
 * into this tab's sessionStorage and out of the address bar (and so out of history and any copy of the
 * URL). A sign-in on the way loses the fragment (the server redirects to /login and back), but not
 * sessionStorage, so the invitation page finds the token after it.
 */
export function captureInvitationToken(): void {
  if (window.location.pathname !== INVITE_PATH) return;
  const token = window.location.hash.replace(/^#/, '').trim();
  if (!token) return;
  try {
    window.sessionStorage.setItem(TOKEN_KEY, token);
  } catch {
    /* no storage (private mode): the page keeps the fragment and reads it from there */
    return;
  }
  window.history.replaceState(window.history.state, '', INVITE_PATH + window.location.search);
}

export function invitationToken(): string | null {
  let stored: string | null = null;
  try {
    stored = window.sessionStorage.getItem(TOKEN_KEY);
  } catch {
    stored = null;
  }
  return stored ?? (window.location.hash.replace(/^#/, '').trim() || null);
}

export function forgetInvitationToken(): void {
  try {
    window.sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    /* nothing stored */
  }
}
