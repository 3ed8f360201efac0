/**
 * App controls (on the Connected apps page): every app that writes in this workspace (each key, OAuth client
 * and the dashboard itself), and what it may do: full access, read only, or paused. The workspace's owner
 * and admins change it; everyone else sees it. A paused app's reads and writes get a clear error until it is
 * resumed; the dashboard itself cannot be paused.
 *
 * Endpoints: GET /apps, PATCH /apps/:id (docs/dashboard-api.md).
 */
import { Badge, Select, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { errorMessage, get, patch } from '../api';
import { ErrorNotice, Loading, When } from '../components/common';
import { ResponsiveTable, type Column } from '../components/ResponsiveTable';
import type { AppAccess, WorkspaceApp } from '../types';

const DASHBOARD_APP = 'Dashboard';

const ACCESS: { value: AppAccess; label: string; color: string; done: string }[] = [
  { value: 'full', label: 'Full access', color: 'green', done: 'can read and write again' },
  { value: 'read_only', label: 'Read only', color: 'yellow', done: 'can now only read' },
  { value: 'paused', label: 'Paused', color: 'red', done: 'is paused: it can neither read nor write' },
];
const accessOf = (a: AppAccess) => ACCESS.find((x) => x.value === a) ?? ACCESS[2]!;

export function AppControlsSection({ workspaceId }: { workspaceId: string }) {
  const queryClient = useQueryClient();
  const apps = useQuery({ queryKey: ['apps', workspaceId], queryFn: () => get<{ apps: WorkspaceApp[]; canManage: boolean }>('/apps') });
  const change = useMutation({
    mutationFn: ({ app, access }: { app: WorkspaceApp; access: AppAccess }) => patch<{ app: WorkspaceApp }>(`/apps/${encodeURIComponent(app.id)}`, { access }),
    onSuccess: async ({ app }) => {
      await queryClient.invalidateQueries({ queryKey: ['apps'] });
      void queryClient.invalidateQueries({ queryKey: ['activity'] });
      notifications.show({ color: 'green', title: 'App access changed', message: `${app.name} ${accessOf(app.access).done}.` });
    },
    onError: (e) => notifications.show({ color: 'red', title: 'The access could not be changed', message: errorMessage(e) }),
  });
  const canManage = apps.data?.canManage ?? false;

  const columns: Column<WorkspaceApp>[] = [
    { label: 'App', cell: (a) => <Text fw={500} size="sm">{a.name}</Text> },
    {
      label: 'Access',
      cell: (a) =>
        a.name === DASHBOARD_APP ? (
          <Text size="sm" c="dimmed">Always full access</Text>
        ) : canManage ? (
          <Select
            aria-label={`Access for ${a.name}`}
            data={ACCESS.map(({ value, label }) => ({ value, label }))}
            value={a.access}
            allowDeselect={false}
            disabled={change.isPending}
            onChange={(v) => v && v !== a.access && change.mutate({ app: a, access: v as AppAccess })}
            w={160}
          />
        ) : (
          <Badge variant="light" color={accessOf(a.access).color}>{accessOf(a.access).label}</Badge>
        ),
    },
    {
      label: 'Changed',
      cell: (a) => <When iso={a.accessChangedAt} />,
    },
  ];

  return (
    <section aria-labelledby="app-controls">
      <Title order={2} size="h3" id="app-controls" mb="xs">
        What each app may do
      </Title>
      <Text size="sm" c="dimmed" mb="sm">
        Every app that writes in this workspace: each API key, OAuth client and the dashboard. A read-only app can search and read but not change anything; a paused
        app can do neither until it is resumed. {canManage ? '' : 'Only the workspace owner or an admin can change this.'}
      </Text>
      {apps.isPending ? (
        <Loading label="Loading apps" />
      ) : apps.isError ? (
        <ErrorNotice error={apps.error} title="Apps could not be loaded" />
      ) : (
        <ResponsiveTable items={apps.data.apps} rowKey={(a) => a.id} labelledBy="app-controls" rowProps={(a) => ({ 'data-app-row': a.id, 'data-access': a.access })} columns={columns} />
      )}
    </section>
  );
}
