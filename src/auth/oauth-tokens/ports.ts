import type { JWK } from 'jose';

/**
 * The contract between Cairn's authorization server (src/oauth, which issues access tokens) and its
 * resource-server side (this folder, which verifies them on /mcp and /api). Neither imports the other's
 * implementation: the server wires one to the other in services.ts.
 *
 * Access tokens are RFC 9068 JWTs: header `typ: at+jwt`, `alg: ES256`, `kid`; claims `iss` (the public URL,
 * no trailing slash), `aud` (`<public URL>/mcp`, the one resource Cairn issues tokens for), `sub`,
 * `client_id`, `scope` (space-separated), `jti`, `iat`, `exp`, and Cairn's own:
 *   - `cairn_uid`  the user whose memory the token reaches (the consenting person, or the owner of a
 *                  client-credentials client);
 *   - `cairn_ws`   the one workspace it acts in (chosen on the consent page / bound to the client);
 *   - `cairn_app`  the app id its writes are recorded under;
 *   - `cairn_gid`  the grant id (authorization-code tokens), or
 *   - `cairn_cc`   the client id (client-credentials tokens).
 * A token is live only while its grant (or its client-credentials client) is: revoking either ends every
 * token issued under it, even before `exp`.
 */
export const ACCESS_TOKEN_CLAIMS = {
  user: 'cairn_uid',
  workspace: 'cairn_ws',
  app: 'cairn_app',
  grant: 'cairn_gid',
  clientCredentials: 'cairn_cc',
} as const;

/** Public signing keys, current and retired-but-still-verifying, as published at the JWKS URI. */
export interface PublicKeySource {
  publicJwks(): Promise<{ keys: JWK[] }>;
}

/** Whether what a token was issued under still stands. Implementations may cache briefly and must fail closed. */
export interface TokenLiveness {
  isGrantActive(grantId: string): Promise<boolean>;
  isClientActive(clientId: string): Promise<boolean>;
}
