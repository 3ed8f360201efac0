import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Provider } from 'oidc-provider';
import type { Logger } from 'pino';
import type { Clock } from '../core/clock.js';
import { storeUnavailable } from './adapter.js';
import { createProvider, type ProviderDeps } from './provider.js';
import type { SigningKeyStore } from './signing-keys.js';

export interface AuthorizationServerDeps extends Omit<ProviderDeps, 'signingKey'> {
  readonly keys: SigningKeyStore;
  readonly clock: Clock;
  readonly log: Logger;
  /** How often the signing key is checked for a rotation by the CLI or another instance (default 30 s). */
  readonly keyCheckMs?: number;
}

interface Current {
  readonly kid: string;
  readonly provider: Provider;
  readonly handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
}

/**
 * Owns the oidc-provider instance. oidc-provider reads its signing keys once, at construction, so when the
 * active key changes (a rotation here, by `cairn keys rotate-signing` or by another instance) the provider
 * is built again around the new key; everything it keeps lives in the database, so nothing is lost. The
 * check is lazy, at most every `keyCheckMs`, on the requests that need the provider.
 */
export class AuthorizationServer {
  private current: Current | undefined;
  private checkedAt = -Infinity;
  private checking: Promise<Current> | undefined;
  private readonly keyCheckMs: number;

  constructor(private readonly deps: AuthorizationServerDeps) {
    this.keyCheckMs = deps.keyCheckMs ?? 30_000;
  }

  /** The provider for the active signing key (built, or rebuilt after a rotation, on demand). */
  async provider(): Promise<Provider> {
    return (await this.ensure()).provider;
  }

  /** Hands a raw request to the provider (its Koa app reads the body itself). */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    await (await this.ensure()).handle(req, res);
  }

  /** The kid the provider signs with now (tests and `cairn doctor`). */
  get signingKid(): string | undefined {
    return this.current?.kid;
  }

  private async ensure(): Promise<Current> {
    if (this.current && this.deps.clock.now() - this.checkedAt < this.keyCheckMs) return this.current;
    this.checking ??= this.check().finally(() => {
      this.checking = undefined;
    });
    return this.checking;
  }

  private async check(): Promise<Current> {
    let kid: string | undefined;
    try {
      kid = await this.deps.keys.currentKid();
    } catch (err) {
      // Keep serving with the key in hand: the request itself needs the store and fails closed there.
      if (this.current) return this.current;
      throw storeUnavailable(err);
    }
    this.checkedAt = this.deps.clock.now();
    if (this.current && kid === this.current.kid) return this.current;
    const key = await this.deps.keys.current().catch((err: unknown) => {
      throw storeUnavailable(err);
    });
    const provider = createProvider({ ...this.deps, signingKey: key });
    // Koa builds absolute URLs from X-Forwarded-Proto/Host, which the surface sets from the public URL.
    provider.proxy = true;
    provider.on('server_error', (_ctx: unknown, err: unknown) => this.deps.log.error({ err }, 'authorization server error'));
    // Errors that escape oidc-provider's own handlers reach Koa; without a listener Koa prints them to stderr.
    provider.on('error', (err: unknown) => this.deps.log.error({ err }, 'authorization server request failed'));
    if (this.current) this.deps.log.info({ kid: key.kid, previous: this.current.kid }, 'access tokens are now signed with a new key');
    this.current = { kid: key.kid, provider, handle: provider.callback() };
    return this.current;
  }
}
