import { Client, StreamableHTTPClientTransport, UnauthorizedError } from '@modelcontextprotocol/client';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { approveConsent, launchBrowser, type TestBrowser } from '../../testing/browser.js';
import { startCallbackServer, startLiveServer, type CallbackServer, type LiveServer } from '../../testing/live-server.js';
import { InMemoryOAuthClient } from '../../testing/oauth-test-client.js';
import { selfSignedCertificate } from '../../testing/self-signed-certificate.js';

/**
 * The acceptance test of issue 3: the official MCP SDK client, given nothing but Cairn's /mcp URL,
 * discovers the authorization server, registers, sends a person through a real login and consent in
 * headless Chromium, calls tools, survives an access-token expiry by refreshing, and stops working once
 * the person disconnects it.
 */

const ACCESS_TOKEN_TTL_SECONDS = 3;
const PASSWORD = 'correct horse battery staple';
/** The resource server accepts a token this long past its exp (AccessTokenVerifier's default clock skew). */
const CLOCK_SKEW_SECONDS = 10;

let server: LiveServer;
let browser: TestBrowser;
let callback: CallbackServer;
let person: Awaited<ReturnType<LiveServer['createPerson']>>;
/** Serves a Client ID Metadata Document over HTTPS on loopback, as a client's website would. */
let documents: HttpsServer;
let documentUrl: string;
const documentFetches: string[] = [];

beforeAll(async () => {
  const tls = selfSignedCertificate(['localhost']);
  documents = createHttpsServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    documentFetches.push(req.url ?? '');
    res.setHeader('content-type', 'application/json');
    res.setHeader('cache-control', 'max-age=300');
    res.end(
      JSON.stringify({
        client_id: documentUrl,
        client_name: 'Cairn CIMD client',
        client_uri: 'https://127.0.0.1/',
        redirect_uris: [callback.redirectUri],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
        application_type: 'native',
      }),
    );
  });
  await new Promise<void>((resolve) => documents.listen(0, '127.0.0.1', resolve));
  documentUrl = `https://127.0.0.1:${(documents.address() as AddressInfo).port}/oauth/client.json`;
  // Test mode: CIMD documents may live on loopback, and the test's own certificate is trusted.
  server = await startLiveServer(
    { CAIRN_OAUTH_ACCESS_TOKEN_TTL_SECONDS: String(ACCESS_TOKEN_TTL_SECONDS), CAIRN_OAUTH_CIMD_ALLOW_LOOPBACK: 'true' },
    { cimdTrustedCertificates: [tls.cert] },
  );
  browser = await launchBrowser();
  callback = await startCallbackServer();
  person = await server.createPerson('ana@example.com', PASSWORD);
}, 60_000);

afterAll(async () => {
  documents?.close();
  await callback?.close();
  await browser?.close();
  await server?.close();
});

/** Signs in (if the browser has no session yet) and approves the consent page; returns the page after the decision. */
async function loginAndConsent(page: Page, authorizationUrl: URL, email: string, clientName = 'Cairn e2e client'): Promise<void> {
  await page.goto(authorizationUrl.href);
  if (await page.locator('input[name=password]').count()) {
    await page.fill('input[name=email]', email);
    await page.fill('input[name=password]', PASSWORD);
    await Promise.all([page.waitForNavigation(), page.click('form button[type=submit]:not(.secondary)')]);
  }
  // The consent page names the client and the redirect host, and warns about a loopback-only client.
  const consent = await page.content();
  expect(consent).toContain(clientName);
  expect(consent).toContain('127.0.0.1');
  await approveConsent(page, callback.redirectUri);
}

async function connectWithBrowser(provider: InMemoryOAuthClient, email: string, clientName?: string): Promise<Client> {
  const client = new Client({ name: 'cairn-e2e', version: '1.0.0' });
  const first = new StreamableHTTPClientTransport(new URL(server.mcpUrl), { authProvider: provider });
  await expect(client.connect(first)).rejects.toBeInstanceOf(UnauthorizedError);
  const authorizationUrl = provider.authorizationUrls.at(-1);
  if (!authorizationUrl) throw new Error('the SDK never asked to open an authorization URL');
  const context = await browser.newContext();
  const page = await context.newPage();
  const arrived = callback.next();
  await loginAndConsent(page, authorizationUrl, email, clientName);
  const query = await arrived;
  await context.close();
  // RFC 9207: the issuer comes back with the code, byte-identical to the metadata's; state is echoed once.
  expect(query.get('iss')).toBe(server.url);
  expect(query.getAll('state')).toEqual([provider.lastState]);
  if (!query.get('code')) throw new Error(`no code in the callback: ${query.toString()}`);
  // The SDK checks iss against the issuer it discovered before it redeems the code.
  await first.finishAuth(query);
  await client.connect(new StreamableHTTPClientTransport(new URL(server.mcpUrl), { authProvider: provider }));
  return client;
}

function textOf(result: unknown): string {
  const content = (result as { content?: { type: string; text?: string }[] }).content ?? [];
  return content.map((c) => c.text ?? '').join('\n');
}

describe('the MCP SDK client with dynamic registration, a browser login and consent', () => {
  test('discovers, registers, logs in, calls tools, refreshes after expiry, and is cut off by revocation', async () => {
    const provider = new InMemoryOAuthClient(callback.redirectUri);
    const client = await connectWithBrowser(provider, 'ana@example.com');

    // Registered dynamically as a native (loopback) client; tokens are bound to the /mcp resource.
    expect(provider.info?.client_id).toBeTruthy();
    const firstTokens = provider.tokenHistory[0];
    expect(firstTokens?.refresh_token).toBeTruthy();
    const claims = JSON.parse(Buffer.from(firstTokens!.access_token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    expect(claims.aud).toBe(server.mcpUrl);
    expect(claims.iss).toBe(server.url);

    const added = await client.callTool({ name: 'add_memories', arguments: { text: 'Ana prefers green tea in the afternoon.' } });
    expect(added.isError).toBeFalsy();
    const found = await client.callTool({ name: 'search_memory', arguments: { query: 'green tea' } });
    expect(textOf(found)).toContain('green tea');


    // Let the access token expire: the next call gets 401, the SDK refreshes (rotating the refresh token)
    // and retries, and the call succeeds.
    await new Promise((r) => setTimeout(r, (ACCESS_TOKEN_TTL_SECONDS + CLOCK_SKEW_SECONDS + 1.5) * 1000));
    const afterExpiry = await client.callTool({ name: 'search_memory', arguments: { query: 'green tea' } });
    expect(textOf(afterExpiry)).toContain('green tea');
    expect(provider.tokenHistory.length).toBeGreaterThanOrEqual(2);
    const refreshed = provider.tokenHistory.at(-1)!;
    expect(refreshed.access_token).not.toBe(firstTokens!.access_token);
    expect(refreshed.refresh_token).toBeTruthy();
    expect(refreshed.refresh_token).not.toBe(firstTokens!.refresh_token);

    // The person disconnects the app (REST, with their own admin key): every token of the grant stops
    // working, the refresh token too, so the SDK falls back to asking for a new authorization.
    const { key } = await server.runtime.services.apiKeys.create(
      { userId: person.user.id, workspaceId: person.workspace.id },
      { name: 'admin', scopes: ['admin'], expiresAt: null },
      { kind: 'cli', credentialId: null },
    );
    const listed = await fetch(`${server.url}/api/v1/connections`, { headers: { authorization: `Bearer ${key}` } });
    expect(listed.status).toBe(200);
    const { connections } = (await listed.json()) as { connections: { id: string; client: { name: string } }[] };
    expect(connections).toHaveLength(1);
    expect(connections[0]!.client.name).toBe('Cairn e2e client');
    const revoked = await fetch(`${server.url}/api/v1/connections/${connections[0]!.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${key}` } });
    expect(revoked.status).toBe(204);

    const direct = await fetch(server.mcpUrl, {
      method: 'POST',
      headers: { authorization: `Bearer ${refreshed.access_token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(direct.status).toBe(401);
    expect(direct.headers.get('www-authenticate')).toContain('resource_metadata=');

    await expect(client.callTool({ name: 'search_memory', arguments: { query: 'green tea' } })).rejects.toThrow();
    // The refresh token died with the grant: the token endpoint refuses it with the RFC error code.
    const refresh = await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshed.refresh_token!, client_id: provider.info!.client_id }),
    });
    expect(refresh.status).toBe(400);
    expect(refresh.headers.get('cache-control')).toContain('no-store');
    expect(((await refresh.json()) as { error: string }).error).toBe('invalid_grant');
    await client.close();
  }, 90_000);
});

describe('the MCP SDK client with a Client ID Metadata Document', () => {
  test('uses its https document URL as client_id, without registering, and gets working tokens', async () => {
    const provider = new InMemoryOAuthClient(callback.redirectUri, {}, documentUrl);
    const client = await connectWithBrowser(provider, 'ana@example.com', 'Cairn CIMD client');

    // No registration happened: the client id is the document URL, which Cairn fetched (and cached).
    const authorizationUrl = provider.authorizationUrls.at(-1)!;
    expect(authorizationUrl.searchParams.get('client_id')).toBe(documentUrl);
    expect(documentFetches.length).toBeGreaterThanOrEqual(1);
    const token = provider.tokenHistory.at(-1)!.access_token;
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    expect(claims.client_id).toBe(documentUrl);
    expect(claims.aud).toBe(server.mcpUrl);

    const added = await client.callTool({ name: 'add_memories', arguments: { text: 'Ana keeps her notes in plain text files.' } });
    expect(added.isError).toBeFalsy();
    expect(textOf(await client.callTool({ name: 'search_memory', arguments: { query: 'plain text notes' } }))).toContain('plain text');
    await client.close();
  }, 90_000);
});
