/**
 * For the owners and admins of a shared workspace, on the Connected apps page: every member's connected app
 * (OAuth grant) and client-credentials client in this workspace, with who holds it, and Revoke / Delete after
 * a confirmation. Its tokens stop at once. Endpoints: GET /workspace/connections, DELETE
 * /workspace/connections/:id, GET /workspace/oauth-clients, DELETE /workspace/oauth-clients/:id.
 */
import { Badge, Code, Stack, Switch, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { del, get } from '../api';
import { ConfirmButton, ErrorNotice, Loading, When } from '../components/common';
import { ResponsiveTable, type Column } from '../components/ResponsiveTable';
import { useMe } from '../me';
import { ROLE_LABEL } from '../teams';
import type { CredentialHolder, WorkspaceConnection, WorkspaceOAuthClient } from '../types';

function Holder({ holder }: { holder: CredentialHolder }) {
  const me = useMe();
  return (
    <Stack gap={0}>
      <Text size="sm">{holder.name ? `${holder.name} (${holder.email})` : holder.email}</Text>
      <Text size="xs" c="dimmed">
        {holder.userId === me.user.id ? 'you' : holder.role ? ROLE_LABEL[holder.role] : 'no longer a member'}
      </Text>
    </Stack>
  );
}

const connectionColumns: Column<WorkspaceConnection>[] = [
  { label: 'Holder', cell: (c) => <Holder holder={c.holder} /> },
  { label: 'App', cell: (c) => <Text size="sm" fw={500}>{c.client.name}</Text> },
  { label: 'Scopes', cell: (c) => <Text size="sm">{c.scopes.join(', ')}</Text> },
  { label: 'Connected', cell: (c) => <When iso={c.createdAt} /> },
  { label: 'Last used', cell: (c) => <When iso={c.lastUsedAt} /> },
  {
    label: 'Status',
    cell: (c) => (
      <Badge color={c.status === 'active' ? 'green' : 'gray'} variant="light">
        {c.status === 'active' ? 'Active' : 'Revoked'}
      </Badge>
    ),
  },
];

const clientColumns: Column<WorkspaceOAuthClient>[] = [
  { label: 'Holder', cell: (c) => <Holder holder={c.holder} /> },
  { label: 'Name', cell: (c) => <Text size="sm" fw={500}>{c.name}</Text> },
  { label: 'Client ID', cell: (c) => <Code style={{ wordBreak: 'break-all' }}>{c.id}</Code> },
  { label: 'Scopes', cell: (c) => <Text size="sm">{c.scopes.join(', ')}</Text> },
  { label: 'Last used', cell: (c) => <When iso={c.lastUsedAt} /> },
];

export function WorkspaceConnectionsSection({ workspaceId }: { workspaceId: string }) {
  const queryClient = useQueryClient();
  const [showRevoked, setShowRevoked] = useState(false);
  const connections = useQuery({ queryKey: ['workspace-connections', workspaceId], queryFn: () => get<{ connections: WorkspaceConnection[] }>('/workspace/connections') });
  const clients = useQuery({ queryKey: ['workspace-oauth-clients', workspaceId], queryFn: () => get<{ clients: WorkspaceOAuthClient[] }>('/workspace/oauth-clients') });
  const refresh = async () => {
    await Promise.all(['workspace-connections', 'workspace-oauth-clients', 'connections', 'oauth-clients'].map((k) => queryClient.invalidateQueries({ queryKey: [k] })));
    void queryClient.invalidateQueries({ queryKey: ['activity'] });
  };
  const grants = (connections.data?.connections ?? []).filter((c) => showRevoked || c.status === 'active');

  return (
    <section aria-labelledby="workspace-connections">
      <Title order={2} size="h3" id="workspace-connections" mb="xs">
        All apps and clients in this workspace
      </Title>
      <Text size="sm" c="dimmed" mb="sm">
        Every member's connected apps and client-credentials clients here. As an owner or admin you can end any of them; their tokens stop working at once.
      </Text>
      <Stack gap="md">
        {connections.isPending ? (
          <Loading label="Loading the workspace's connected apps" />
        ) : connections.isError ? (
          <ErrorNotice error={connections.error} title="The workspace's connected apps could not be loaded" />
        ) : (
          <Stack gap="xs">
            <Switch label="Show revoked" checked={showRevoked} onChange={(e) => setShowRevoked(e.currentTarget.checked)} />
            {grants.length === 0 ? (
              <Text size="sm">No member has a connected app here{showRevoked ? '' : ' right now'}.</Text>
            ) : (
              <ResponsiveTable
                items={grants}
                rowKey={(c) => c.id}
                caption="Connected apps of every member"
                rowProps={(c) => ({ 'data-workspace-connection-row': c.id, 'data-status': c.status })}
                columns={connectionColumns}
                actions={(c) =>
                  c.status === 'active' ? (
                    <ConfirmButton
                      label="Revoke"
                      title={`Revoke ${c.holder.email}'s ${c.client.name}?`}
                      message={<Text size="sm">{c.client.name} loses access at once: every token it holds stops working. To use it again, {c.holder.email} must authorise it again.</Text>}
                      confirmLabel="Revoke access"
                      onConfirm={async () => {
                        await del(`/workspace/connections/${encodeURIComponent(c.id)}`);
                        await refresh();
                        notifications.show({ color: 'green', title: 'App disconnected', message: `${c.holder.email}'s ${c.client.name} no longer has access.` });
                      }}
                    />
                  ) : null
                }
              />
            )}
          </Stack>
        )}
        {clients.isPending ? (
          <Loading label="Loading the workspace's clients" />
        ) : clients.isError ? (
          <ErrorNotice error={clients.error} title="The workspace's clients could not be loaded" />
        ) : (clients.data?.clients ?? []).length === 0 ? (
          <Text size="sm">No member has a client-credentials client here.</Text>
        ) : (
          <ResponsiveTable
            items={clients.data.clients}
            rowKey={(c) => c.id}
            caption="Client-credentials clients of every member"
            rowProps={(c) => ({ 'data-workspace-client-row': c.id })}
            columns={clientColumns}
            actions={(c) => (
              <ConfirmButton
                label="Delete"
                title={`Delete ${c.holder.email}'s client “${c.name}”?`}
                message={<Text size="sm">The client can get no more tokens and the ones it holds stop working at once. This cannot be undone.</Text>}
                confirmLabel="Delete client"
                onConfirm={async () => {
                  await del(`/workspace/oauth-clients/${encodeURIComponent(c.id)}`);
                  await refresh();
                  notifications.show({ color: 'green', title: 'Client deleted', message: `${c.holder.email}'s client “${c.name}” no longer works.` });
                }}
              />
            )}
          />
        )}
      </Stack>
    </section>
  );
}
