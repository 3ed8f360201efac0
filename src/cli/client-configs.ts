import { isLoopbackHost } from '../config/load.js';

export interface ClientConfigs {
  readonly mcpUrl: string;
  readonly claudeCode: string;
  readonly claudeDesktop: unknown;
  readonly cursor: unknown;
  readonly curl: string;
}

/**
 * Ready-to-paste configurations for the usual MCP clients, built from the public URL. They embed the key,
 * so they are printed only where the key itself is (right after create or rotate).
 */
export function clientConfigs(publicUrl: string, key: string): ClientConfigs {
  const mcpUrl = `${publicUrl}/mcp`;
  const url = new URL(publicUrl);
  // mcp-remote refuses plain http except to localhost / 127.0.0.1 unless told otherwise.
  const needsAllowHttp = url.protocol === 'http:' && !(url.hostname === 'localhost' || url.hostname === '127.0.0.1');
  return {
    mcpUrl,
    claudeCode: `claude mcp add --transport http cairn ${mcpUrl} --header "Authorization: Bearer ${key}"`,
    // The header goes through an env variable with no space after the colon: Claude Desktop splits
    // arguments containing spaces on some platforms (mcp-remote's documented form).
    claudeDesktop: {
      mcpServers: {
        cairn: {
          command: 'npx',
          args: ['mcp-remote', mcpUrl, '--header', 'Authorization:${CAIRN_AUTH}', ...(needsAllowHttp ? ['--allow-http'] : [])],
          env: { CAIRN_AUTH: `Bearer ${key}` },
        },
      },
    },
    cursor: { mcpServers: { cairn: { url: mcpUrl, headers: { Authorization: `Bearer ${key}` } } } },
    curl: `curl -H "Authorization: Bearer ${key}" ${publicUrl}/api/v1/me`,
  };
}

/** The human-readable block printed under a new key. */
export function renderClientConfigs(c: ClientConfigs, publicUrl: string): string {
  const indent = (text: string) => text.replace(/^/gm, '  ');
  const lines = [
    'Connect a client (each snippet contains the key):',
    '',
    'Claude Code:',
    indent(c.claudeCode),
    '',
    'Claude Desktop, via mcp-remote (add to claude_desktop_config.json, then restart Claude Desktop):',
    indent(JSON.stringify(c.claudeDesktop, null, 2)),
    '',
    'Cursor (~/.cursor/mcp.json):',
    indent(JSON.stringify(c.cursor, null, 2)),
    '',
    'REST (check the key works):',
    indent(c.curl),
  ];
  const host = new URL(publicUrl).hostname;
  if (isLoopbackHost(host)) {
    lines.push('', `Note: ${publicUrl} is only reachable from this machine. For other machines, set CAIRN_PUBLIC_URL (and CAIRN_HOST).`);
  }
  return lines.join('\n') + '\n';
}
