/**
 * Connect a client: for each usual client (Claude.ai, ChatGPT, Claude Code, Claude Desktop via mcp-remote,
 * Cursor, anything else over MCP or REST), the steps and the exact configuration from `GET /connect`, filled
 * in with this server's URL, each with a copy button. Snippets that need a key carry `{{API_KEY}}`: the page
 * shows it as a visible placeholder until the person presses "Create a key for …", which makes one
 * (`POST /keys`, the memory scopes, named after the client) and puts it into that client's snippets. The
 * key is kept in this page's state only, and is gone when the person leaves the page.
 */
import { Alert, Anchor, Badge, Button, Card, Code, Group, List, Stack, Tabs, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { get, post } from '../api';
import { CopyValue, ErrorNotice, PageHeader } from '../components/common';
import { MEMORY_SCOPES, type ConnectClient, type ConnectInfo, type CreatedKey } from '../types';

const PLACEHOLDER = '{{API_KEY}}';
const SHOWN_PLACEHOLDER = '<your API key>';

export function ConnectPage() {
  const info = useQuery({ queryKey: ['connect'], queryFn: () => get<ConnectInfo>('/connect'), staleTime: Infinity });
  const [tab, setTab] = useState<string | null>(null);
  /** Keys made on this page, by client id: shown only while the page is open. */
  const [keys, setKeys] = useState<Record<string, string>>({});

  return (
    <>
      <PageHeader title="Connect a client" description="Give your assistants this memory. Clients that support OAuth need only the URL; the others use an API key." />
      {info.isError ? <ErrorNotice error={info.error} title="The set-up could not be loaded" /> : null}
      {info.data ? (
        <Stack gap="md">
          <Card withBorder padding="md">
            <Text size="sm" fw={600} mb={4}>
              Your MCP server URL
            </Text>
            <Group gap="xs" wrap="nowrap">
              <Code style={{ overflowWrap: 'anywhere' }}>{info.data.mcpUrl}</Code>
              <CopyValue value={info.data.mcpUrl} label="Copy URL" />
            </Group>
          </Card>
          <Tabs value={tab ?? info.data.clients[0]?.id ?? null} onChange={setTab} keepMounted={false}>
            <Tabs.List style={{ flexWrap: 'wrap' }}>
              {info.data.clients.map((c) => (
                <Tabs.Tab key={c.id} value={c.id}>
                  {c.name}
                </Tabs.Tab>
              ))}
            </Tabs.List>
            {info.data.clients.map((c) => (
              <Tabs.Panel key={c.id} value={c.id} pt="md">
                <ClientSetup client={c} apiKey={keys[c.id]} onKey={(key) => setKeys((k) => ({ ...k, [c.id]: key }))} />
              </Tabs.Panel>
            ))}
          </Tabs>
        </Stack>
      ) : null}
    </>
  );
}

function ClientSetup({ client, apiKey, onKey }: { client: ConnectClient; apiKey: string | undefined; onKey: (key: string) => void }) {
  const queryClient = useQueryClient();
  const needsKey = client.snippets.some((s) => s.text.includes(PLACEHOLDER));
  const create = useMutation({
    mutationFn: () => post<CreatedKey>('/keys', { name: client.name, scopes: [...MEMORY_SCOPES] }),
    onSuccess: (created) => {
      onKey(created.key);
      void queryClient.invalidateQueries({ queryKey: ['keys'] });
      notifications.show({ message: `Key “${created.apiKey.name}” created. It is in the snippets below, and listed under API keys.` });
    },
  });
  const fill = (text: string) => text.split(PLACEHOLDER).join(apiKey ?? SHOWN_PLACEHOLDER);

  return (
    <Stack gap="md" maw={860}>
      <Group gap="xs">
        <Title order={2} size="h4">
          {client.name}
        </Title>
        <Badge variant="light" color={client.auth === 'oauth' ? 'teal' : 'indigo'}>
          {client.auth === 'oauth' ? 'OAuth sign-in' : 'API key'}
        </Badge>
      </Group>
      <List type="ordered" spacing={4} size="sm">
        {client.steps.map((step) => (
          <List.Item key={step}>{step}</List.Item>
        ))}
      </List>
      {needsKey ? (
        apiKey ? (
          <Alert color="yellow" variant="light" title="Your new key is in the snippets below">
            This is the only time it is shown: copy the configuration now. It is listed (without the key) under{' '}
            <Anchor component={Link} to="/keys">
              API keys
            </Anchor>
            , where you can revoke it.
          </Alert>
        ) : (
          <Group gap="sm" align="center">
            <Button onClick={() => create.mutate()} loading={create.isPending}>
              Create a key for {client.name}
            </Button>
            <Text size="sm" c="dimmed">
              Or put one of your keys where it says <Code>{SHOWN_PLACEHOLDER}</Code>.
            </Text>
          </Group>
        )
      ) : null}
      {create.isError ? <ErrorNotice error={create.error} title="The key was not created" /> : null}
      {client.snippets.map((s) => (
        <Stack key={s.label} gap={4}>
          <Group justify="space-between" wrap="nowrap">
            <Text size="sm" fw={600}>
              {s.label}
            </Text>
            <CopyValue value={fill(s.text)} label="Copy" />
          </Group>
          <Code block data-snippet={s.language} style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>
            {fill(s.text)}
          </Code>
        </Stack>
      ))}
    </Stack>
  );
}
