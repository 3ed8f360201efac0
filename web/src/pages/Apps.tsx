/**
 * Connected apps: the OAuth clients the signed-in person has authorised in this workspace (name, redirect
 * hosts, scopes, when connected and last used), each with Revoke; and the person's client-credentials
 * clients for server-side jobs, with create (the secret is shown once), rotate secret and delete.
 *
 * Endpoints: GET /connections, DELETE /connections/:id, GET /oauth-clients, POST /oauth-clients,
 * POST /oauth-clients/:id/rotate-secret, DELETE /oauth-clients/:id (docs/dashboard-api.md). For the owners and admins of a
 * shared workspace, every member's apps and clients there (WorkspaceConnections.tsx). Below them, what each app of the
 * workspace may do (AppControls.tsx).
 */
import { Alert, Anchor, Badge, Button, Checkbox, Code, Group, Modal, Paper, Stack, Switch, Text, TextInput, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent, type ReactNode } from 'react';
import { Link } from 'react-router';
import { del, get, post } from '../api';
import { ConfirmButton, CopyValue, ErrorNotice, FormButtons, Loading, PageHeader, When } from '../components/common';
import { ResponsiveTable, type Column } from '../components/ResponsiveTable';
import { dateTime } from '../format';
import { useMe } from '../me';
import { AppControlsSection } from './AppControls';
import { WorkspaceConnectionsSection } from './WorkspaceConnections';
import { currentKind } from '../teams';
import { MEMORY_SCOPES, type Connection, type OAuthClient, type Scope } from '../types';

const SCOPE_LABEL: Record<Scope, string> = {
  'memories:read': 'read',
  'memories:write': 'write',
  'memories:delete': 'delete',
  admin: 'admin',
};
const SCOPE_HELP: Record<Scope, string> = {
  'memories:read': 'list and search memories',
  'memories:write': 'add and change memories',
  'memories:delete': 'delete memories',
  admin: 'manage keys and clients',
};

function ScopeBadges({ scopes }: { scopes: readonly Scope[] }) {
  return (
    <Group gap={4} wrap="wrap">
      {scopes.map((s) => (
        <Badge key={s} size="sm" variant="light" title={s}>
          {SCOPE_LABEL[s] ?? s}
        </Badge>
      ))}
    </Group>
  );
}

const connectionColumns: Column<Connection>[] = [
  {
    label: 'App',
    cell: (c) => (
      <Text fw={500} size="sm">
        {c.client.name}
      </Text>
    ),
  },
  {
    label: 'Redirect host',
    cell: (c) =>
      c.redirectHosts.length === 0 ? (
        <Text span size="sm" c="dimmed">
          unknown
        </Text>
      ) : (
        <Stack gap={2} align="flex-start">
          {c.redirectHosts.map((h) => (
            <Code key={h}>{h}</Code>
          ))}
        </Stack>
      ),
  },
  { label: 'Scopes', cell: (c) => <ScopeBadges scopes={c.scopes} /> },
  { label: 'Connected', cell: (c) => <When iso={c.createdAt} /> },
  { label: 'Last used', cell: (c) => <When iso={c.lastUsedAt} /> },
  {
    label: 'Status',
    cell: (c) =>
      c.status === 'active' ? (
        <Badge color="green" variant="light">
          Active
        </Badge>
      ) : (
        <Badge color="gray" variant="light" title={c.revokedAt ? `Revoked ${dateTime(c.revokedAt)}` : undefined}>
          Revoked
        </Badge>
      ),
  },
];

const clientColumns: Column<OAuthClient>[] = [
  {
    label: 'Name',
    cell: (c) => (
      <Text fw={500} size="sm">
        {c.name}
      </Text>
    ),
  },
  { label: 'Client ID', cell: (c) => <Code style={{ wordBreak: 'break-all' }}>{c.id}</Code> },
  { label: 'Scopes', cell: (c) => <ScopeBadges scopes={c.scopes} /> },
  { label: 'Created', cell: (c) => <When iso={c.createdAt} /> },
  { label: 'Last used', cell: (c) => <When iso={c.lastUsedAt} /> },
  { label: 'Secret rotated', cell: (c) => <When iso={c.secretRotatedAt} /> },
];

export function AppsPage() {
  const me = useMe();
  const manages = currentKind(me) === 'shared' && (me.workspace.role === 'owner' || me.workspace.role === 'admin');
  return (
    <>
      <PageHeader title="Connected apps" description="Apps that act for you in this workspace, and the clients your server-side jobs use." />
      <Stack gap="xl">
        <AuthorisedApps workspaceId={me.workspace.id} />
        <ClientCredentials workspaceId={me.workspace.id} publicUrl={me.publicUrl} />
        {manages ? <WorkspaceConnectionsSection workspaceId={me.workspace.id} /> : null}
        <AppControlsSection workspaceId={me.workspace.id} />
      </Stack>
    </>
  );
}

function AuthorisedApps({ workspaceId }: { workspaceId: string }) {
  const queryClient = useQueryClient();
  const [showRevoked, setShowRevoked] = useState(false);
  const connections = useQuery({ queryKey: ['connections', workspaceId], queryFn: () => get<{ connections: Connection[] }>('/connections') });

  const revoke = async (c: Connection) => {
    await del(`/connections/${encodeURIComponent(c.id)}`);
    await queryClient.invalidateQueries({ queryKey: ['connections'] });
    void queryClient.invalidateQueries({ queryKey: ['activity'] });
    notifications.show({ color: 'green', title: 'App disconnected', message: `${c.client.name} no longer has access.` });
  };

  const all = connections.data?.connections ?? [];
  const revokedCount = all.filter((c) => c.status === 'revoked').length;
  const shown = showRevoked ? all : all.filter((c) => c.status === 'active');

  return (
    <section aria-labelledby="authorised-apps">
      <Group justify="space-between" align="center" mb="xs" wrap="wrap" gap="sm">
        <Title order={2} size="h3" id="authorised-apps">
          Authorised apps
        </Title>
        {revokedCount > 0 ? <Switch label={`Show revoked (${revokedCount})`} checked={showRevoked} onChange={(e) => setShowRevoked(e.currentTarget.checked)} /> : null}
      </Group>
      <Text size="sm" c="dimmed" mb="sm">
        Apps you connected with OAuth (Claude, ChatGPT and other MCP clients). Each one reads and writes memories as you, with the scopes you approved.
      </Text>
      {connections.isPending ? (
        <Loading label="Loading connected apps" />
      ) : connections.isError ? (
        <ErrorNotice error={connections.error} title="Connected apps could not be loaded" />
      ) : shown.length === 0 ? (
        <Paper withBorder p="lg" radius="md">
          <Text fw={500}>{all.length === 0 ? 'No apps are connected yet.' : 'No app is connected right now.'}</Text>
          <Text size="sm" c="dimmed" mt={4}>
            An app appears here after you connect Claude, ChatGPT or another MCP client to Cairn through OAuth and approve it on Cairn's consent page.{' '}
            <Anchor component={Link} to="/connect">
              Connect a client
            </Anchor>
          </Text>
        </Paper>
      ) : (
        <ResponsiveTable
          items={shown}
          rowKey={(c) => c.id}
          labelledBy="authorised-apps"
          rowProps={(c) => ({ 'data-connection-row': c.id, 'data-status': c.status, ...(c.status === 'revoked' ? { style: { background: 'var(--mantine-color-default-hover)' } } : {}) })}
          columns={connectionColumns}
          actions={(c) =>
            c.status === 'active' ? (
              <ConfirmButton
                label="Revoke"
                title={`Revoke ${c.client.name}?`}
                message={<Text size="sm">{c.client.name} loses access at once: every token it holds stops working. To use it with Cairn again, it must be authorised again.</Text>}
                confirmLabel="Revoke access"
                onConfirm={() => revoke(c)}
              />
            ) : null
          }
        />
      )}
    </section>
  );
}

/** What the person must copy now: the client id and a secret the server will never show again. */
interface ShownSecret {
  title: string;
  clientId: string;
  clientSecret: string;
}

function SecretModal({ shown, onClose, tokenUrl }: { shown: ShownSecret | null; onClose: () => void; tokenUrl: string }) {
  return (
    <Modal opened={shown !== null} onClose={onClose} title={shown?.title ?? ''} centered size="lg">
      {shown ? <SecretBody shown={shown} tokenUrl={tokenUrl} onDone={onClose} /> : null}
    </Modal>
  );
}

function SecretBody({ shown, tokenUrl, onDone }: { shown: ShownSecret; tokenUrl: string; onDone: () => void }) {
  return (
    <Stack>
      <Alert color="yellow" title="Copy the secret now">
        This secret will not be shown again. Store it where the job can read it (a secret manager or an environment variable); if it is lost, rotate it.
      </Alert>
      <Field label="Client ID" value={shown.clientId} testId="client-id" />
      <Field label="Client secret" value={shown.clientSecret} testId="client-secret" />
      <Text size="sm" c="dimmed">
        The job sends them with HTTP Basic authentication to <Code>{tokenUrl}</Code> with <Code>grant_type=client_credentials</Code>.
      </Text>
      <Group justify="flex-end">
        <Button onClick={onDone}>Done</Button>
      </Group>
    </Stack>
  );
}

function Field({ label, value, testId }: { label: string; value: string; testId: string }) {
  return (
    <Stack gap={4}>
      <Text size="sm" fw={500}>
        {label}
      </Text>
      <Group gap="xs" wrap="nowrap" align="center">
        <Code data-testid={testId} style={{ wordBreak: 'break-all', flex: 1 }}>
          {value}
        </Code>
        <CopyValue value={value} label={`Copy ${label.toLowerCase()}`} />
      </Group>
    </Stack>
  );
}

function ClientCredentials({ workspaceId, publicUrl }: { workspaceId: string; publicUrl: string }) {
  const queryClient = useQueryClient();
  const [creating, setCreating] = useState(false);
  const [shown, setShown] = useState<ShownSecret | null>(null);
  const clients = useQuery({ queryKey: ['oauth-clients', workspaceId], queryFn: () => get<{ clients: OAuthClient[] }>('/oauth-clients') });
  const tokenUrl = `${publicUrl.replace(/\/$/, '')}/token`;

  const refresh = async () => {
    await queryClient.invalidateQueries({ queryKey: ['oauth-clients'] });
    void queryClient.invalidateQueries({ queryKey: ['activity'] });
  };
  const rotate = async (c: OAuthClient) => {
    const res = await post<{ clientSecret: string; client: OAuthClient }>(`/oauth-clients/${encodeURIComponent(c.id)}/rotate-secret`);
    await refresh();
    setShown({ title: `New secret for ${c.name}`, clientId: c.id, clientSecret: res.clientSecret });
    notifications.show({ color: 'green', title: 'Secret rotated', message: `The old secret of ${c.name} no longer works.` });
  };
  const remove = async (c: OAuthClient) => {
    await del(`/oauth-clients/${encodeURIComponent(c.id)}`);
    await refresh();
    notifications.show({ color: 'green', title: 'Client deleted', message: `${c.name} can no longer get tokens.` });
  };

  const list = clients.data?.clients ?? [];
  return (
    <section aria-labelledby="client-credentials">
      <Group justify="space-between" align="center" mb="xs" wrap="wrap" gap="sm">
        <Title order={2} size="h3" id="client-credentials">
          Client credentials
        </Title>
        <Button size="sm" onClick={() => setCreating(true)}>
          New client
        </Button>
      </Group>
      <Text size="sm" c="dimmed" mb="sm">
        For a server-side job with nobody at the keyboard: it sends its client ID and secret to the token endpoint <Code>{tokenUrl}</Code> and gets short-lived access tokens that act as you.
      </Text>
      {clients.isPending ? (
        <Loading label="Loading clients" />
      ) : clients.isError ? (
        <ErrorNotice error={clients.error} title="Clients could not be loaded" />
      ) : list.length === 0 ? (
        <Paper withBorder p="lg" radius="md">
          <Text fw={500}>No client-credentials clients yet.</Text>
          <Text size="sm" c="dimmed" mt={4}>
            Create one for a scheduled import or another job that talks to Cairn without a person signing in.
          </Text>
        </Paper>
      ) : (
        <ResponsiveTable
          items={list}
          rowKey={(c) => c.id}
          labelledBy="client-credentials"
          rowProps={(c) => ({ 'data-client-row': c.id })}
          columns={clientColumns}
          actions={(c) => (
            <>
              <ConfirmButton
                label="Rotate secret"
                color="orange"
                title={`Rotate the secret of ${c.name}?`}
                message={<Text size="sm">A new secret is made and the current one stops working at once: the job fails to get tokens until it has the new secret.</Text>}
                confirmLabel="Rotate secret"
                onConfirm={() => rotate(c)}
              />
              <ConfirmButton
                label="Delete"
                title={`Delete ${c.name}?`}
                message={<Text size="sm">The client is deleted: its tokens stop working at once and it can get no new ones. This cannot be undone.</Text>}
                confirmLabel="Delete client"
                onConfirm={() => remove(c)}
              />
            </>
          )}
        />
      )}
      <NewClientModal
        opened={creating}
        onClose={() => setCreating(false)}
        onCreated={async (created) => {
          setCreating(false);
          await refresh();
          setShown({ title: `Client ${created.client.name} created`, clientId: created.clientId, clientSecret: created.clientSecret });
          notifications.show({ color: 'green', title: 'Client created', message: `${created.client.name} is ready; copy its secret now.` });
        }}
      />
      <SecretModal shown={shown} onClose={() => setShown(null)} tokenUrl={tokenUrl} />
    </section>
  );
}

interface Created {
  clientId: string;
  clientSecret: string;
  client: OAuthClient;
}

function NewClientModal({ opened, onClose, onCreated }: { opened: boolean; onClose: () => void; onCreated: (c: Created) => Promise<void> }) {
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<string[]>(['memories:read', 'memories:write']);
  const [problem, setProblem] = useState<ReactNode>(null);
  const create = useMutation({ mutationFn: (body: { name: string; scopes: string[] }) => post<Created>('/oauth-clients', body) });

  const reset = () => {
    setName('');
    setScopes(['memories:read', 'memories:write']);
    setProblem(null);
    create.reset();
  };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!name.trim()) return setProblem('Give the client a name.');
    if (scopes.length === 0) return setProblem('Choose at least one scope.');
    setProblem(null);
    try {
      const created = await create.mutateAsync({ name: name.trim(), scopes });
      reset();
      await onCreated(created);
    } catch {
      /* shown below from create.error */
    }
  };

  return (
    <Modal
      opened={opened}
      onClose={() => {
        if (create.isPending) return;
        reset();
        onClose();
      }}
      title="New client-credentials client"
      centered
    >
      <form onSubmit={submit} noValidate>
        <Stack>
          <TextInput label="Name" description="Shown in the activity log, e.g. nightly-import" required maxLength={64} value={name} onChange={(e) => setName(e.currentTarget.value)} data-autofocus />
          <Checkbox.Group label="Scopes" description="What its tokens may do" required value={scopes} onChange={setScopes}>
            <Stack gap="xs" mt="xs">
              {MEMORY_SCOPES.map((s) => (
                <Checkbox key={s} value={s} label={`${s} (${SCOPE_HELP[s]})`} />
              ))}
            </Stack>
          </Checkbox.Group>
          {problem ? (
            <Text c="red" size="sm" role="alert">
              {problem}
            </Text>
          ) : null}
          {create.isError ? <ErrorNotice error={create.error} title="The client was not created" /> : null}
          <FormButtons
            submitLabel="Create client"
            busy={create.isPending}
            onCancel={() => {
              reset();
              onClose();
            }}
          />
        </Stack>
      </form>
    </Modal>
  );
}
