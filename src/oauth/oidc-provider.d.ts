/**
 * The slice of oidc-provider 9 (which ships no types) that Cairn uses, typed from its source
 * (node_modules/oidc-provider/lib). Widen it here when Cairn uses more; everything else stays `unknown`.
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';
  import type { EventEmitter } from 'node:events';

  /** What an adapter stores and returns for one artefact. */
  export interface AdapterPayload {
    [key: string]: unknown;
    jti?: string;
    kind?: string;
    exp?: number;
    iat?: number;
    grantId?: string;
    uid?: string;
    userCode?: string;
    consumed?: number | boolean;
    client_id?: string;
    client_secret?: string;
  }

  /** The storage port oidc-provider calls, one instance per model name (RFC-free, from its memory adapter). */
  export interface Adapter {
    upsert(id: string, payload: AdapterPayload, expiresIn: number | undefined): Promise<void>;
    find(id: string): Promise<AdapterPayload | undefined>;
    findByUserCode(userCode: string): Promise<AdapterPayload | undefined>;
    findByUid(uid: string): Promise<AdapterPayload | undefined>;
    consume(id: string): Promise<void>;
    destroy(id: string): Promise<void>;
    revokeByGrantId(grantId: string): Promise<void>;
  }
  export type AdapterConstructor = new (name: string) => Adapter;

  export interface ClientModel {
    readonly clientId: string;
    readonly clientName?: string;
    readonly clientUri?: string;
    readonly redirectUris: readonly string[];
    readonly applicationType: 'web' | 'native';
    readonly tokenEndpointAuthMethod: string;
    readonly scope?: string;
    readonly clientIdMetadataDocument?: boolean;
    grantTypeAllowed(type: string): boolean;
  }

  export interface BaseTokenModel {
    readonly kind: string;
    readonly jti: string;
    readonly clientId: string;
    readonly grantId?: string;
    readonly accountId?: string;
    readonly scope?: string;
    readonly scopes: Set<string>;
    readonly client?: ClientModel;
  }

  export interface GrantModel {
    jti: string;
    accountId: string;
    clientId: string;
    addOIDCScope(scope: string): void;
    addResourceScope(resource: string, scope: string): void;
    save(): Promise<string>;
  }

  export interface InteractionModel {
    readonly uid: string;
    readonly jti: string;
    readonly exp: number;
    readonly returnTo: string;
    readonly prompt: { readonly name: string; readonly reasons: readonly string[]; readonly details: Record<string, unknown> };
    readonly params: Record<string, unknown> & { client_id?: string; redirect_uri?: string; scope?: string; resource?: string | string[] };
    readonly session?: { readonly accountId: string; readonly uid?: string };
    readonly grantId?: string;
  }

  export interface OIDCContext {
    readonly route: string;
    readonly client?: ClientModel;
    readonly params?: Record<string, unknown>;
    readonly entities: Record<string, unknown>;
    readonly result?: { readonly login?: unknown; readonly consent?: { readonly grantId?: string } };
    readonly session?: { readonly accountId?: string };
  }

  export interface KoaContextWithOIDC {
    readonly oidc: OIDCContext;
    readonly method: string;
    readonly path: string;
    status: number;
    body: unknown;
    type: string;
    set(name: string, value: string): void;
    get(name: string): string;
  }

  export interface ErrorOut {
    readonly error: string;
    readonly error_description?: string;
    readonly state?: string;
    readonly iss?: string;
  }

  /**
   * A configuration object or fragment; oidc-provider validates it at construction (Cairn builds it in
   * src/oauth/provider.ts and merges fragments such as src/oauth/cimd.ts into it).
   */
  export type Configuration = object;

  export class Provider extends EventEmitter {
    constructor(issuer: string, configuration?: Configuration);
    readonly issuer: string;
    proxy: boolean;
    callback(): (req: IncomingMessage, res: ServerResponse) => Promise<void>;
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionModel>;
    interactionFinished(req: IncomingMessage, res: ServerResponse, result: Record<string, unknown>, options?: { mergeWithLastSubmission?: boolean }): Promise<void>;
    readonly Grant: { new (input: { accountId: string; clientId: string }): GrantModel; find(id: string): Promise<GrantModel | undefined> };
    readonly Client: { find(id: string): Promise<ClientModel | undefined> };
  }
  export default Provider;

  export class OIDCProviderError extends Error {
    readonly error: string;
    error_description?: string;
    status: number;
    statusCode: number;
    expose: boolean;
  }

  type DescribedError = new (description?: string, detail?: string) => OIDCProviderError;
  export const errors: {
    readonly OIDCProviderError: typeof OIDCProviderError;
    readonly AccessDenied: DescribedError;
    readonly InvalidClientMetadata: DescribedError;
    readonly InvalidGrant: DescribedError;
    readonly InvalidRequest: DescribedError;
    readonly InvalidScope: new (description: string, scope?: string) => OIDCProviderError;
    readonly InvalidTarget: DescribedError;
    readonly TemporarilyUnavailable: DescribedError;
  };

  export namespace interactionPolicy {
    type CheckResult = boolean;
    class Check {
      constructor(reason: string, description: string, check: (ctx: KoaContextWithOIDC) => CheckResult | Promise<CheckResult>);
      constructor(reason: string, description: string, error: string, check: (ctx: KoaContextWithOIDC) => CheckResult | Promise<CheckResult>);
      static readonly REQUEST_PROMPT: true;
      static readonly NO_NEED_TO_PROMPT: false;
    }
    class Prompt {
      readonly name: string;
      readonly checks: Check[] & { add(check: Check, index?: number): void };
    }
    interface Policy extends Array<Prompt> {
      get(name: string): Prompt | undefined;
    }
    function base(): Policy;
  }
}
