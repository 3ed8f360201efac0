import type { Scope } from '../core/scopes.js';

/**
 * The scopes OAuth clients may be granted: the memory scopes and nothing else. `admin` is never granted
 * through OAuth, so a connected app can reach memories but never manage keys, clients or connections.
 */
export const MEMORY_SCOPES = ['memories:read', 'memories:write', 'memories:delete'] as const satisfies readonly Scope[];
export type MemoryScope = (typeof MEMORY_SCOPES)[number];

export function isMemoryScope(value: string): value is MemoryScope {
  return (MEMORY_SCOPES as readonly string[]).includes(value);
}

/** What each scope lets an app do, in the words the consent page uses. */
export const SCOPE_DESCRIPTIONS: Record<MemoryScope | 'offline_access', string> = {
  'memories:read': 'Read and search the memories in the workspace',
  'memories:write': 'Add memories and change existing ones',
  'memories:delete': 'Delete memories',
  offline_access: 'Stay connected when you are not using it (until you disconnect it)',
};
