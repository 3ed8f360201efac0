/** The scopes a credential can carry. `admin` implies every other scope (a broader scope implies narrower ones). */
export const SCOPES = ['memories:read', 'memories:write', 'memories:delete', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

/** Parses `memories:read,memories:write` (commas or spaces), rejecting unknown names with the list of valid ones. */
export function parseScopes(input: string | readonly string[]): { ok: true; scopes: Scope[] } | { ok: false; unknown: string[] } {
  const parts = (typeof input === 'string' ? input.split(/[\s,]+/) : [...input]).map((s) => s.trim()).filter(Boolean);
  const unknown = parts.filter((p) => !isScope(p));
  if (unknown.length > 0) return { ok: false, unknown };
  return { ok: true, scopes: [...new Set(parts as Scope[])].sort() };
}

export function hasScope(granted: ReadonlySet<Scope>, needed: Scope): boolean {
  return granted.has(needed) || granted.has('admin');
}
