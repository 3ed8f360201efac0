/**
 * The dashboard's only way to the server: same-origin fetches to /dashboard/api with the browser's session
 * cookie. No API key or token is ever held by the app (docs/dashboard-api.md). Every request carries
 * `X-Cairn-Dashboard: 1` (the CSRF rule: a cross-site form cannot send a custom header) and, when the person
 * has chosen one, `X-Cairn-Workspace`.
 */
export const API_BASE = '/dashboard/api/v1';

export interface ApiErrorBody {
  error: { code: string; message: string; requestId?: string; details?: Record<string, unknown> };
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> | undefined,
  ) {
    super(message);
  }
}

const WORKSPACE_KEY = 'cairn.workspace';

/** The workspace the person chose in the switcher (an id, not a credential); none means their personal one. */
export function chosenWorkspace(): string | null {
  try {
    return window.localStorage.getItem(WORKSPACE_KEY);
  } catch {
    return null;
  }
}

export function chooseWorkspace(id: string | null): void {
  try {
    if (id === null) window.localStorage.removeItem(WORKSPACE_KEY);
    else window.localStorage.setItem(WORKSPACE_KEY, id);
  } catch {
    /* private mode: the choice lasts for this page only */
  }
}

/** Where a 401 sends the browser: the server's login page, back to this page afterwards. */
export function loginUrl(): string {
  const here = window.location.pathname + window.location.search;
  return `/login?return_to=${encodeURIComponent(here)}`;
}

type Query = Record<string, string | number | boolean | null | undefined | readonly string[]>;

export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === '') continue;
    if (Array.isArray(v)) for (const item of v) params.append(k, String(item));
    else params.set(k, String(v));
  }
  const s = params.toString();
  return s ? `${path}?${s}` : path;
}

/** `workspace` sends this one request to another of the person's workspaces (a key made for it, say). */
export async function api<T>(method: string, path: string, body?: unknown, query?: Query, workspace?: string): Promise<T> {
  const headers: Record<string, string> = { 'X-Cairn-Dashboard': '1', Accept: 'application/json' };
  const ws = workspace ?? chosenWorkspace();
  if (ws) headers['X-Cairn-Workspace'] = ws;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(API_BASE + withQuery(path, query), {
      method,
      headers,
      body: body === undefined ? null : JSON.stringify(body),
      credentials: 'same-origin',
    });
  } catch {
    throw new ApiError(0, 'NETWORK', 'Cairn could not be reached. Check your connection and try again.', undefined);
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let parsed: unknown = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON: reported below */
  }
  if (!res.ok) {
    const err = (parsed as ApiErrorBody | undefined)?.error;
    if (res.status === 401) {
      window.location.assign(loginUrl());
    }
    // A workspace that is gone (or no longer ours): forget the choice so the next load uses the personal one.
    if (res.status === 404 && ws && err?.code === 'NOT_FOUND' && path === '/me') chooseWorkspace(null);
    throw new ApiError(res.status, err?.code ?? 'HTTP_' + res.status, err?.message ?? `Request failed (${res.status})`, err?.details);
  }
  return parsed as T;
}

/**
 * Saves the attachment `path` answers (the activity export) under the file name the server gives. Fetched, not
 * linked, so it carries the same headers as every request, the chosen workspace among them.
 */
export async function download(path: string, query?: Query): Promise<void> {
  const headers: Record<string, string> = { 'X-Cairn-Dashboard': '1' };
  const ws = chosenWorkspace();
  if (ws) headers['X-Cairn-Workspace'] = ws;
  let res: Response;
  try {
    res = await fetch(API_BASE + withQuery(path, query), { headers, credentials: 'same-origin' });
  } catch {
    throw new ApiError(0, 'NETWORK', 'Cairn could not be reached. Check your connection and try again.', undefined);
  }
  if (!res.ok) {
    let err: ApiErrorBody['error'] | undefined;
    try {
      err = ((await res.json()) as ApiErrorBody).error;
    } catch {
      /* not JSON */
    }
    if (res.status === 401) window.location.assign(loginUrl());
    throw new ApiError(res.status, err?.code ?? 'HTTP_' + res.status, err?.message ?? `Request failed (${res.status})`, err?.details);
  }
  const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? 'cairn-export.ndjson';
  const url = URL.createObjectURL(await res.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * POSTs a file as the raw request body (the workspace import), with the dashboard's headers; answers the JSON
 * reply or throws ApiError like `api`.
 */
export async function upload<T>(path: string, file: Blob, contentType: string, query?: Query): Promise<T> {
  const headers: Record<string, string> = { 'X-Cairn-Dashboard': '1', Accept: 'application/json', 'Content-Type': contentType };
  const ws = chosenWorkspace();
  if (ws) headers['X-Cairn-Workspace'] = ws;
  let res: Response;
  try {
    res = await fetch(API_BASE + withQuery(path, query), { method: 'POST', headers, body: file, credentials: 'same-origin' });
  } catch {
    throw new ApiError(0, 'NETWORK', 'Cairn could not be reached. Check your connection and try again.', undefined);
  }
  let parsed: unknown = undefined;
  try {
    parsed = await res.json();
  } catch {
    /* not JSON: reported below */
  }
  if (!res.ok) {
    const err = (parsed as ApiErrorBody | undefined)?.error;
    if (res.status === 401) window.location.assign(loginUrl());
    throw new ApiError(res.status, err?.code ?? 'HTTP_' + res.status, err?.message ?? `Request failed (${res.status})`, err?.details);
  }
  return parsed as T;
}

export const get = <T>(path: string, query?: Query) => api<T>('GET', path, undefined, query);
export const post = <T>(path: string, body: unknown = {}, workspace?: string) => api<T>('POST', path, body, undefined, workspace);
export const patch = <T>(path: string, body: unknown) => api<T>('PATCH', path, body);
export const del = <T = void>(path: string) => api<T>('DELETE', path);

export function errorMessage(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}
