import { InvalidArgumentError, type Command } from 'commander';
import { MAX_GRACE_SECONDS, type ApiKeyView } from '../../auth/api-keys/api-key-service.js';
import { SCOPES, parseScopes, type Scope } from '../../core/scopes.js';
import type { User } from '../../core/users/user.js';
import { AppError } from '../../errors/app-error.js';
import type { Runtime } from '../../runtime.js';
import { clientConfigs, renderClientConfigs } from '../client-configs.js';
import { withRuntime, type CliContext } from '../context.js';
import { CliError } from '../explain-error.js';
import { formatJson, formatTable, formatTime, parseDuration } from '../format.js';

const CLI_ACTOR = { kind: 'cli', credentialId: null } as const;

/** `cairn key create|list|revoke|rotate`: API keys for agents, administered on the server machine. */
export function registerKeyCommands(program: Command, ctx: CliContext): void {
  const key = program.command('key').description('Create, list, revoke and rotate API keys');

  key
    .command('create')
    .description('Create an API key and print it once, with ready-to-paste client configurations')
    .requiredOption('--user <email>', 'owner of the key')
    .requiredOption('--name <name>', 'what the key is for, e.g. laptop-claude')
    .requiredOption('--scopes <list>', `comma-separated scopes: ${SCOPES.join(', ')}`, scopesOption)
    .option('--workspace <id>', 'workspace the key acts in (default: the user’s personal workspace)')
    .option('--expires-in <duration>', 'lifetime such as 90m, 12h or 30d (default: never expires)', parseDuration)
    .option('--json', 'print machine-readable JSON (includes the key)')
    .action(async (opts: { user: string; name: string; scopes: Scope[]; workspace?: string; expiresIn?: number; json?: boolean }) => {
      await withRuntime(ctx, async ({ services, config }) => {
        const user = await activeUser(services, opts.user);
        const workspace = await services.users.resolveWorkspace(user.id, opts.workspace).catch((err: unknown) => {
          throw isNotFound(err) ? new CliError(`${user.email} is not a member of a workspace ${opts.workspace ?? ''}`.trimEnd() + '.') : err;
        });
        const expiresAt = opts.expiresIn === undefined ? null : Date.now() + opts.expiresIn;
        const created = await services.apiKeys.create(
          { userId: user.id, workspaceId: workspace.id },
          { name: opts.name, scopes: opts.scopes, expiresAt },
          CLI_ACTOR,
        );
        printNewKey(ctx, config.http.publicUrl, user, created, opts.json, `Created API key "${created.view.name}" (${created.view.id}) for ${user.email}\n  workspace: ${workspace.name} (${workspace.id})\n`);
      });
    });

  key
    .command('list')
    .description('List a user’s API keys (never the keys themselves)')
    .requiredOption('--user <email>', 'owner of the keys')
    .option('--workspace <id>', 'only keys acting in this workspace')
    .option('--json', 'print machine-readable JSON')
    .action(async (opts: { user: string; workspace?: string; json?: boolean }) => {
      await withRuntime(ctx, async ({ services }) => {
        const user = await userByEmail(services, opts.user);
        const keys = (await keysOf(services, user)).filter((k) => opts.workspace === undefined || k.workspaceId === opts.workspace);
        if (opts.json) {
          ctx.out(formatJson(keys.map(keyJson)));
          return;
        }
        if (keys.length === 0) {
          ctx.out(`${user.email} has no API keys. Create one with: npx cairn key create --user ${user.email} --name NAME --scopes memories:read,memories:write\n`);
          return;
        }
        ctx.out(
          formatTable(
            ['ID', 'NAME', 'KEY', 'SCOPES', 'STATUS', 'USES', 'LAST USED', 'EXPIRES'],
            keys.map((k) => [k.id, k.name, `${k.prefix}…`, k.scopes.join(','), k.status, String(k.usageCount), formatTime(k.lastUsedAt) ?? 'never', formatTime(k.expiresAt) ?? 'never']),
          ),
        );
      });
    });

  key
    .command('revoke')
    .description('Revoke an API key: clients using it are refused from then on')
    .requiredOption('--user <email>', 'owner of the key')
    .argument('<key-id>', 'the key’s id (key_…), from cairn key list')
    .option('--json', 'print machine-readable JSON')
    .action(async (keyId: string, opts: { user: string; json?: boolean }) => {
      await withRuntime(ctx, async ({ services, config }) => {
        const user = await userByEmail(services, opts.user);
        const found = await findKey(services, user, keyId);
        await services.apiKeys.revoke({ userId: user.id, workspaceId: found.workspaceId }, found.id, CLI_ACTOR);
        if (opts.json) {
          ctx.out(formatJson({ id: found.id, name: found.name, revoked: true }));
          return;
        }
        ctx.out(`Revoked ${found.id} ("${found.name}").\n${cacheNote(config.auth.cacheTtlMs, 'stops accepting it')}`);
      });
    });

  key
    .command('rotate')
    .description('Replace an API key with a new one (same name and scopes); prints the new key once')
    .requiredOption('--user <email>', 'owner of the key')
    .argument('<key-id>', 'the key’s id (key_…), from cairn key list')
    .option('--grace <duration>', 'how long the old key keeps working, e.g. 1h; 0 retires it at once', graceOption, 0)
    .option('--json', 'print machine-readable JSON (includes the new key)')
    .action(async (keyId: string, opts: { user: string; grace: number; json?: boolean }) => {
      await withRuntime(ctx, async ({ services, config }) => {
        const user = await userByEmail(services, opts.user);
        const found = await findKey(services, user, keyId);
        const rotated = await services.apiKeys.rotate({ userId: user.id, workspaceId: found.workspaceId }, found.id, opts.grace / 1000, CLI_ACTOR);
        const oldFate =
          opts.grace === 0
            ? `The old key ${found.id} no longer works.\n${cacheNote(config.auth.cacheTtlMs, 'stops accepting it')}`
            : `The old key ${found.id} keeps working until ${formatTime(rotated.old.expiresAt)}.\n`;
        printNewKey(ctx, config.http.publicUrl, user, rotated, opts.json, `Rotated "${found.name}": ${found.id} → ${rotated.view.id}\n`, oldFate, rotated.old);
      });
    });
}

function scopesOption(value: string): Scope[] {
  const parsed = parseScopes(value);
  if (!parsed.ok) {
    throw new InvalidArgumentError(`Unknown scope${parsed.unknown.length === 1 ? '' : 's'} ${parsed.unknown.map((s) => `"${s}"`).join(', ')}; valid scopes are: ${SCOPES.join(', ')}.`);
  }
  if (parsed.scopes.length === 0) throw new InvalidArgumentError(`Give at least one scope: ${SCOPES.join(', ')}.`);
  return parsed.scopes;
}

function graceOption(value: string): number {
  const ms = value.trim() === '0' ? 0 : parseDuration(value);
  if (ms > MAX_GRACE_SECONDS * 1000) throw new InvalidArgumentError('The grace period can be at most 30d.');
  return ms;
}

/** The plaintext key is printed here and nowhere else: once, on stdout, set apart so it is hard to miss. */
function printNewKey(
  ctx: CliContext,
  publicUrl: string,
  user: User,
  created: { key: string; view: ApiKeyView },
  json: boolean | undefined,
  headline: string,
  afterKey = '',
  old?: ApiKeyView,
): void {
  const clients = clientConfigs(publicUrl, created.key);
  if (json) {
    ctx.out(formatJson({ key: created.key, ...keyJson(created.view), user: { id: user.id, email: user.email }, ...(old ? { old: keyJson(old) } : {}), clients }));
    return;
  }
  const v = created.view;
  ctx.out(
    headline +
      `  scopes:    ${v.scopes.join(', ')}\n` +
      `  expires:   ${formatTime(v.expiresAt) ?? 'never'}\n\n` +
      `Your API key. It is shown only this once (Cairn keeps only a hash), so store it now:\n\n` +
      `    ${created.key}\n\n` +
      afterKey +
      (afterKey ? '\n' : '') +
      renderClientConfigs(clients, publicUrl),
  );
}

function cacheNote(cacheTtlMs: number, what: string): string {
  if (cacheTtlMs === 0) return '';
  // The CLI is another process: a running server only sees the change when its cached verification expires.
  return `A running Cairn server ${what} within ${cacheTtlMs / 1000} s (CAIRN_AUTH_CACHE_TTL_SECONDS).\n`;
}

function keyJson(k: ApiKeyView) {
  return {
    id: k.id,
    name: k.name,
    prefix: k.prefix,
    scopes: k.scopes,
    workspaceId: k.workspaceId,
    status: k.status,
    createdAt: formatTime(k.createdAt),
    expiresAt: formatTime(k.expiresAt),
    revokedAt: formatTime(k.revokedAt),
    lastUsedAt: formatTime(k.lastUsedAt),
    usageCount: k.usageCount,
    rotatedTo: k.rotatedTo,
  };
}

type Services = Runtime['services'];

async function userByEmail(services: Services, email: string): Promise<User> {
  try {
    return await services.users.byEmail(email);
  } catch (err) {
    if (isNotFound(err)) throw new CliError(`There is no user with the email ${email.trim().toLowerCase()}. List users with: npx cairn user list`);
    throw err;
  }
}

async function activeUser(services: Services, email: string): Promise<User> {
  const user = await userByEmail(services, email);
  if (user.disabledAt !== null) throw new CliError(`The user ${user.email} is disabled; it cannot be given new keys.`);
  return user;
}

/** A user's keys across every workspace they belong to, newest first. */
async function keysOf(services: Services, user: User): Promise<ApiKeyView[]> {
  const workspaces = await services.users.workspacesOf(user.id);
  const lists = await Promise.all(workspaces.map((w) => services.apiKeys.list({ userId: user.id, workspaceId: w.id })));
  return lists.flat().sort((a, b) => b.createdAt - a.createdAt || b.id.localeCompare(a.id));
}

async function findKey(services: Services, user: User, keyId: string): Promise<ApiKeyView> {
  const found = (await keysOf(services, user)).find((k) => k.id === keyId.trim());
  if (!found) throw new CliError(`${user.email} has no API key ${keyId}. List their keys with: npx cairn key list --user ${user.email}`);
  return found;
}

function isNotFound(err: unknown): boolean {
  return err instanceof AppError && err.code === 'NOT_FOUND';
}
