import { randomBytes } from 'node:crypto';
import type { OAuthClientMetadata, OAuthClientProvider } from '@modelcontextprotocol/client';

type ClientInformation = Awaited<ReturnType<OAuthClientProvider['clientInformation']>>;
type Tokens = Awaited<ReturnType<OAuthClientProvider['tokens']>>;
type DiscoveryState = Awaited<ReturnType<NonNullable<OAuthClientProvider['discoveryState']>>>;

/**
 * An `OAuthClientProvider` for the official SDK client that keeps everything in memory, like a CLI client
 * would keep it in a file. Instead of opening a browser it records the authorization URL; the test drives
 * Chromium there and hands the code back through `transport.finishAuth`.
 */
export class InMemoryOAuthClient implements OAuthClientProvider {
  info: ClientInformation;
  saved: Tokens;
  verifier = '';
  lastState = '';
  discovery: DiscoveryState;
  /** Every authorization URL the SDK asked to open, in order. */
  readonly authorizationUrls: URL[] = [];
  /** Every token set the SDK saved, in order (refreshes append). */
  readonly tokenHistory: NonNullable<Tokens>[] = [];

  constructor(
    readonly redirect: string,
    readonly metadataOverrides: Partial<OAuthClientMetadata> = {},
    /** A Client ID Metadata Document URL: the SDK then uses it as client_id instead of registering. */
    readonly clientMetadataUrl?: string,
  ) {}

  get redirectUrl(): string {
    return this.redirect;
  }

  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: 'Cairn e2e client',
      redirect_uris: [this.redirect],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      application_type: 'native',
      ...this.metadataOverrides,
    } as OAuthClientMetadata;
  }

  state(): string {
    this.lastState = randomBytes(16).toString('hex');
    return this.lastState;
  }

  clientInformation(): ClientInformation {
    return this.info;
  }

  saveClientInformation(info: NonNullable<ClientInformation>): void {
    this.info = info;
  }

  tokens(): Tokens {
    return this.saved;
  }

  saveTokens(tokens: NonNullable<Tokens>): void {
    this.saved = tokens;
    this.tokenHistory.push(tokens);
  }

  redirectToAuthorization(url: URL): void {
    this.authorizationUrls.push(url);
  }

  saveCodeVerifier(verifier: string): void {
    this.verifier = verifier;
  }

  codeVerifier(): string {
    return this.verifier;
  }

  /** Kept with the verifier so the SDK can bind the callback to the authorization server it started with. */
  saveDiscoveryState(state: NonNullable<DiscoveryState>): void {
    this.discovery = state;
  }

  discoveryState(): DiscoveryState {
    return this.discovery;
  }
}
