/**
 * oidc-provider, loaded once through here. At import it prints "Unsupported runtime" to stderr on Node 20
 * (it prefers 22; 9.13.3 runs on 20, see ../shared/reference/building-blocks.md and Cairn's own tests), which
 * would land in every CLI command's error output and in the server's JSON log stream. That one message is
 * dropped; any other warning it prints goes through.
 */
const warn = console.warn;
console.warn = (...args: unknown[]) => {
  if (typeof args[0] === 'string' && args[0].includes('oidc-provider WARNING: Unsupported runtime')) return;
  warn(...args);
};
const oidc = await import('oidc-provider').finally(() => {
  console.warn = warn;
});

export const Provider = oidc.default;
export const errors = oidc.errors;
export const interactionPolicy = oidc.interactionPolicy;
