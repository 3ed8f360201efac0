import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Set while Cairn's own code creates the browser account of an existing Cairn user (through a setup link),
 * so better-auth's user-creation hook adopts that user instead of creating another one.
 */
const provisioning = new AsyncLocalStorage<{ readonly userId: string }>();

export function asExistingUser<T>(userId: string, fn: () => Promise<T>): Promise<T> {
  return provisioning.run({ userId }, fn);
}

/** The existing Cairn user being given a browser account right now, if any. */
export function existingUserBeingProvisioned(): string | undefined {
  return provisioning.getStore()?.userId;
}
