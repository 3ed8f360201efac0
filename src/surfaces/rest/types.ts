import type { onRequestHookHandler, FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { ApiKeyService } from '../../auth/api-keys/api-key-service.js';
import type { MemoryService } from '../../core/memories/memory-service.js';
import type { TransferService } from '../../core/transfer/transfer-service.js';
import type { UserService } from '../../core/users/user-service.js';
import type { ClientCredentialsClients } from '../../oauth/clients.js';
import type { OAuthGrants } from '../../oauth/grants.js';

export type RestApp = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, ZodTypeProvider>;

/** What the REST surface needs, passed in as plugin options (no global decorators). */
export interface RestDeps {
  readonly memories: MemoryService;
  /** Export and import of the principal's workspace. */
  readonly transfer: TransferService;
  /** CAIRN_IMPORT_MAX_BYTES. */
  readonly importMaxBytes: number;
  readonly apiKeys: ApiKeyService;
  readonly users: UserService;
  /** Connected apps (OAuth grants) and client-credentials clients. */
  readonly oauthGrants: OAuthGrants;
  readonly oauthClients: ClientCredentialsClients;
  /** This surface's authenticator(s), declared where the surface is registered (app.ts). */
  readonly authenticate: onRequestHookHandler;
  readonly publicUrl: string;
}

/** What a route module may use: everything but the authenticator, which is the plugin's (so another surface can register the same module behind its own). */
export type RouteDeps = Omit<RestDeps, 'authenticate'>;

export type RegisterRoute = (app: RestApp, deps: RouteDeps) => void;
