import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { InteractionModel, Provider } from 'oidc-provider';
import { errors } from '../../oauth/oidc.js';
import { z } from 'zod';
import { hmacHex, safeEqual } from '../../auth/secrets.js';
import type { SessionReader, SessionUser } from '../../auth/sessions/ports.js';
import type { Clock } from '../../core/clock.js';
import type { AppStore, Role, Workspace } from '../../core/users/user.js';
import type { OAuthGrants } from '../../oauth/grants.js';
import { isLoopbackRedirect } from '../../oauth/redirect-uris.js';
import { isMemoryScope, MEMORY_SCOPES, type MemoryScope } from '../../oauth/scopes.js';
import type { AuthorizationServer } from '../../oauth/server.js';
import { consentPage, PAGE_HEADERS, type ConsentView } from './pages.js';

export interface InteractionRouteOptions {
  readonly server: AuthorizationServer;
  readonly publicUrl: string;
  /** Who is signed in to the browser; absent until browser accounts are wired (then the page says so). */
  readonly sessions: SessionReader | undefined;
  readonly workspacesOf: (userId: string) => Promise<(Workspace & { role: Role })[]>;
  readonly apps: AppStore;
  readonly grants: OAuthGrants;
  readonly clock: Clock;
  /** HMAC key binding consent forms to one interaction and one browser session. */
  readonly csrfKey: Buffer;
}

const Params = z.object({ uid: z.string().min(1).max(64) });
const Decision = z.object({
  csrf: z.string().min(1).max(200),
  decision: z.enum(['approve', 'deny']),
  workspace: z.string().max(100).optional(),
});

/** Thrown for a consent step that cannot go on (expired, another browser, no sign-in configured). */
export class InteractionError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The consent step of an authorization: GET shows who asks for what (after sending the person to sign in
 * first), POST records their answer and hands control back to oidc-provider, which redirects to the client.
 */
export function registerInteractionRoutes(app: FastifyInstance, options: InteractionRouteOptions): void {
  app.get('/interaction/:uid', { exposeHeadRoute: false }, async (request, reply) => {
    const { uid } = Params.parse(request.params);
    const { provider, interaction } = await load(options, request, reply, uid);
    const user = await signedIn(options, request);
    if (!user) return reply.redirect(options.sessions!.loginPath(`/interaction/${uid}`), 303);
    return reply.code(200).headers(PAGE_HEADERS).send(consentPage(await consentView(options, provider, interaction, user)));
  });

  app.post('/interaction/:uid', async (request, reply) => {
    const { uid } = Params.parse(request.params);
    const { provider, interaction } = await load(options, request, reply, uid);
    const user = await signedIn(options, request);
    if (!user) return reply.redirect(options.sessions!.loginPath(`/interaction/${uid}`), 303);
    const body = Decision.safeParse(request.body);
    if (!body.success || !safeEqual(body.data.csrf, csrfToken(options.csrfKey, uid, user.sessionId))) {
      throw new InteractionError(403, 'invalid_request', 'This consent form is not valid for your session. Reload the page and answer again.');
    }
    if (body.data.decision === 'deny') {
      return finish(reply, interaction, { error: 'access_denied', error_description: 'The person denied access.' });
    }
    const workspaces = await options.workspacesOf(user.userId);
    const workspace = workspaces.find((w) => w.id === body.data.workspace);
    if (!workspace) {
      const view = await consentView(options, provider, interaction, user);
      return reply.code(400).headers(PAGE_HEADERS).send(consentPage({ ...view, problem: 'Choose one of your workspaces.' }));
    }
    const grantId = await approve(options, provider, interaction, user, workspace);
    return finish(reply, interaction, { login: { accountId: user.userId, remember: false }, consent: { grantId } });
  });
}

async function load(options: InteractionRouteOptions, request: FastifyRequest, reply: FastifyReply, uid: string): Promise<{ provider: Provider; interaction: InteractionModel }> {
  if (!options.sessions) throw new InteractionError(503, 'temporarily_unavailable', 'Browser sign-in is not set up on this Cairn, so apps cannot be connected with OAuth yet.');
  const provider = await options.server.provider();
  // Reads the interaction named by the cookie oidc-provider set for this browser; the URL must agree.
  const interaction = await provider.interactionDetails(request.raw, reply.raw);
  if (interaction.uid !== uid) throw new errors.InvalidRequest('this consent page belongs to another authorization request');
  return { provider, interaction };
}

async function signedIn(options: InteractionRouteOptions, request: FastifyRequest): Promise<SessionUser | null> {
  return options.sessions!.fromHeaders(request.headers);
}

/** Binds a consent form to one interaction and one browser session, without storing anything. */
export function csrfToken(key: Buffer, uid: string, sessionId: string): string {
  return hmacHex(key, `consent:${uid}:${sessionId}`);
}

interface Requested {
  readonly scopes: MemoryScope[];
  /** Every scope requested that oidc-provider checks the grant for (its configured scopes). */
  readonly all: string[];
}

/**
 * The memory scopes asked for. A client that asks for none (it found no scope to request) is offered all
 * three, and the page shows exactly that; `admin` is not grantable and never appears.
 */
function requested(interaction: InteractionModel): Requested {
  const all = typeof interaction.params.scope === 'string' ? interaction.params.scope.split(' ').filter(Boolean) : [];
  const memory = all.filter(isMemoryScope);
  return { scopes: memory.length > 0 ? memory : [...MEMORY_SCOPES], all };
}

async function consentView(options: InteractionRouteOptions, provider: Provider, interaction: InteractionModel, user: SessionUser): Promise<ConsentView> {
  const clientId = String(interaction.params.client_id);
  const client = await provider.Client.find(clientId);
  if (!client) throw new errors.InvalidRequest('the client is no longer registered');
  const redirectUri = String(interaction.params.redirect_uri ?? '');
  const redirect = URL.parse(redirectUri);
  const workspaces = await options.workspacesOf(user.userId);
  const want = requested(interaction);
  return {
    uid: interaction.uid,
    csrf: csrfToken(options.csrfKey, interaction.uid, user.sessionId),
    clientName: client.clientName?.trim() || redirect?.host || clientId,
    clientId,
    redirectTarget: redirect ? (redirect.host || `${redirect.protocol}//`) : redirectUri,
    localhostOnly: isLoopbackRedirect(redirectUri),
    provenance: client.clientIdMetadataDocument ? 'metadata_document' : 'registered',
    scopes: want.scopes,
    // Refresh tokens are issued to every client allowed the refresh_token grant, asked for or not
    // (oidc-provider drops offline_access from requests without prompt=consent): the page says so.
    offlineAccess: client.grantTypeAllowed('refresh_token'),
    workspaces: workspaces.map((w) => ({ id: w.id, name: w.name, kind: w.kind, role: w.role })),
    selectedWorkspace: (workspaces.find((w) => w.kind === 'personal') ?? workspaces[0])?.id ?? '',
    userEmail: user.email,
  };
}

/**
 * Records the consent: the app the client's writes will be recorded under (one per client name and
 * workspace), oidc-provider's grant for exactly the requested scopes on the one resource, and Cairn's own
 * grant record that access tokens are later checked against.
 */
async function approve(options: InteractionRouteOptions, provider: Provider, interaction: InteractionModel, user: SessionUser, workspace: Workspace): Promise<string> {
  const clientId = String(interaction.params.client_id);
  const client = await provider.Client.find(clientId);
  if (!client) throw new errors.InvalidRequest('the client is no longer registered');
  const want = requested(interaction);
  const clientName = (client.clientName?.trim() || URL.parse(String(interaction.params.redirect_uri))?.host || clientId).slice(0, 200);
  const app = await options.apps.ensure(workspace.id, clientName.slice(0, 64), options.clock.now());
  const grant = new provider.Grant({ accountId: user.userId, clientId });
  // oidc-provider checks the grant for the requested scopes it knows (memory scopes included) as well as
  // for the resource's scopes; both must hold what was consented to, or it asks for consent again.
  const known = want.all.filter((s) => s === 'openid' || s === 'offline_access');
  grant.addOIDCScope([...new Set([...known, ...want.scopes])].join(' '));
  grant.addResourceScope(`${options.publicUrl}/mcp`, want.scopes.join(' '));
  const grantId = await grant.save();
  await options.grants.record(
    { id: grantId, userId: user.userId, workspaceId: workspace.id, appId: app.id, clientId, clientName, scopes: want.scopes },
    { kind: 'session', credentialId: user.sessionId },
  );
  return grantId;
}

/**
 * What oidc-provider's `interactionFinished` does (store the result on the interaction, send the browser
 * back to the authorization endpoint to resume), plus one thing it has no option for: when the client asked
 * for no memory scope, the scopes offered and consented to are written into the resumed request, because
 * the code is issued only for requested scopes.
 */
async function finish(reply: FastifyReply, interaction: InteractionModel, result: Record<string, unknown>): Promise<FastifyReply> {
  const mutable = interaction as unknown as { params: Record<string, unknown>; result: unknown; save(ttl: number): Promise<string> };
  if ('consent' in result) {
    const want = requested(interaction);
    if (!want.all.some(isMemoryScope)) mutable.params.scope = [...want.all, ...want.scopes].join(' ');
  }
  mutable.result = result;
  // oidc-provider keeps time in epoch seconds of the real clock; the interaction keeps its own expiry.
  await mutable.save(interaction.exp - Math.floor(Date.now() / 1000));
  return reply.header('cache-control', 'no-store').redirect(interaction.returnTo, 303);
}
