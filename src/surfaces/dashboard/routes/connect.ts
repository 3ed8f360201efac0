import { z } from 'zod';
import { clientConfigs } from '../../../cli/client-configs.js';
import { errorResponses } from '../../rest/views.js';
import type { DashboardApp, DashboardDeps } from '../types.js';

/** What the page replaces with a key it has just created for the person. */
export const API_KEY_PLACEHOLDER = '{{API_KEY}}';

const Snippet = z.object({ label: z.string(), language: z.string(), text: z.string() });
const Client = z.object({ id: z.string(), name: z.string(), auth: z.enum(['oauth', 'api_key']), steps: z.array(z.string()), snippets: z.array(Snippet) });
const Connect = z.object({ publicUrl: z.string(), mcpUrl: z.string(), clients: z.array(Client) });

type ConnectClient = z.infer<typeof Client>;

/**
 * How to connect each usual client to this server. OAuth where the client does it (no key to paste), an
 * API key otherwise; the key-based snippets are the CLI's (`cairn keys create` prints the same ones).
 */
export function connectClients(publicUrl: string): ConnectClient[] {
  const withKey = clientConfigs(publicUrl, API_KEY_PLACEHOLDER);
  const mcpUrl = withKey.mcpUrl;
  const json = (value: unknown) => JSON.stringify(value, null, 2);
  return [
    {
      id: 'claude-ai',
      name: 'Claude.ai',
      auth: 'oauth',
      steps: ['Open Settings → Connectors and choose "Add custom connector".', `Paste the server URL, then choose Connect and approve access on this server's consent page.`],
      snippets: [{ label: 'Server URL', language: 'text', text: mcpUrl }],
    },
    {
      id: 'chatgpt',
      name: 'ChatGPT',
      auth: 'oauth',
      steps: ['Open Settings → Apps & Connectors → Advanced and turn on developer mode.', 'Create a connector with the server URL and authentication "OAuth", then approve access on the consent page.'],
      snippets: [{ label: 'Server URL', language: 'text', text: mcpUrl }],
    },
    {
      id: 'claude-code',
      name: 'Claude Code',
      auth: 'oauth',
      steps: ['Run the command, then type /mcp in Claude Code and choose "Authenticate" for cairn.', 'Or, to use an API key instead of signing in, run the second command.'],
      snippets: [
        { label: 'Add the server (OAuth)', language: 'shell', text: `claude mcp add --transport http cairn ${mcpUrl}` },
        { label: 'Add the server with an API key', language: 'shell', text: withKey.claudeCode },
      ],
    },
    {
      id: 'claude-desktop',
      name: 'Claude Desktop (mcp-remote)',
      auth: 'api_key',
      steps: ['Open Settings → Developer → Edit Config (claude_desktop_config.json).', 'Add the cairn entry under mcpServers, save, and restart Claude Desktop. Node.js must be installed (npx).'],
      snippets: [{ label: 'claude_desktop_config.json', language: 'json', text: json(withKey.claudeDesktop) }],
    },
    {
      id: 'cursor',
      name: 'Cursor',
      auth: 'api_key',
      steps: ['Open ~/.cursor/mcp.json (or .cursor/mcp.json in a project).', 'Add the cairn entry under mcpServers and save; Cursor picks it up in Settings → MCP.'],
      snippets: [{ label: 'mcp.json', language: 'json', text: json(withKey.cursor) }],
    },
    {
      id: 'generic',
      name: 'Other MCP clients and REST',
      auth: 'api_key',
      steps: [
        'MCP: Streamable HTTP at the server URL, with the header Authorization: Bearer <key> (or OAuth 2.1 discovery, if the client supports it).',
        `REST: the API is under ${publicUrl}/api/v1 (OpenAPI at ${publicUrl}/api/v1/openapi.json).`,
      ],
      snippets: [
        { label: 'MCP server URL', language: 'text', text: mcpUrl },
        { label: 'Authorization header', language: 'text', text: `Authorization: Bearer ${API_KEY_PLACEHOLDER}` },
        { label: 'Check the key (REST)', language: 'shell', text: withKey.curl },
      ],
    },
  ];
}

/** GET /v1/connect: client set-up, filled in with this server's URL. */
export function connect(app: DashboardApp, { publicUrl }: Pick<DashboardDeps, 'publicUrl'>): void {
  const body = { publicUrl, mcpUrl: `${publicUrl}/mcp`, clients: connectClients(publicUrl) };
  app.get('/v1/connect', { schema: { response: { 200: Connect, ...errorResponses } } }, async () => body);
}
