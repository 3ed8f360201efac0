/**
 * Admin (Cairn administrators only; the route shows "not found" to others and the server answers 403): every
 * user with their memory count and last activity (`GET /admin/users`), a filter by name or email, disable and
 * enable (`POST /admin/users/:id/disable|enable`: disabling ends their sessions, keys and tokens at once),
 * and a one-time set-password link (`POST /admin/users/:id/password-reset`), shown once to pass on privately.
 * An administrator cannot disable themself (the server refuses with 409; the page offers no button).
 */
import { Alert, Badge, Code, Group, Modal, Stack, Text, TextInput } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { get, post } from '../api';
import { ConfirmButton, CopyValue, ErrorNotice, Loading, PageHeader, PersonAvatar } from '../components/common';
import { ResponsiveTable, type Column } from '../components/ResponsiveTable';
import { dateTime, relativeTime } from '../format';
import { useMe } from '../me';
import type { AdminUser } from '../types';

const COLUMNS: readonly Column<AdminUser>[] = [
  {
    label: 'Person',
    cell: (u) => (
      <Group gap="sm" wrap="nowrap">
        <PersonAvatar id={u.id} name={u.name} email={u.email} />
        <div style={{ minWidth: 0 }}>
          <Text size="sm" fw={600} truncate>
            {u.name || u.email}
          </Text>
          {u.name ? (
            <Text size="xs" c="dimmed" truncate>
              {u.email}
            </Text>
          ) : null}
        </div>
        {u.isAdmin ? (
          <Badge size="sm" variant="light" color="orange">
            Admin
          </Badge>
        ) : null}
      </Group>
    ),
  },
  { label: 'Memories', cell: (u) => <span data-memory-count>{u.memoryCount.toLocaleString()}</span> },
  { label: 'Last active', cell: (u) => <span title={u.lastActiveAt ? dateTime(u.lastActiveAt) : undefined}>{relativeTime(u.lastActiveAt)}</span> },
  { label: 'Joined', cell: (u) => <span title={dateTime(u.createdAt)}>{relativeTime(u.createdAt)}</span> },
  {
    label: 'Status',
    cell: (u) =>
      u.disabledAt ? (
        <Badge color="red" variant="light" title={dateTime(u.disabledAt)}>
          Disabled
        </Badge>
      ) : (
        <Badge color="teal" variant="light">
          Active
        </Badge>
      ),
  },
];

export function AdminPage() {
  const me = useMe();
  const queryClient = useQueryClient();
  const users = useQuery({ queryKey: ['admin', 'users'], queryFn: () => get<{ users: AdminUser[] }>('/admin/users') });
  const [filter, setFilter] = useState('');
  const [link, setLink] = useState<{ email: string; url: string; expiresAt: string } | null>(null);

  const shown = useMemo(() => {
    const q = filter.trim().toLowerCase();
    const all = users.data?.users ?? [];
    return q ? all.filter((u) => u.email.toLowerCase().includes(q) || (u.name ?? '').toLowerCase().includes(q)) : all;
  }, [users.data, filter]);

  const setDisabled = async (u: AdminUser, disabled: boolean) => {
    await post(`/admin/users/${u.id}/${disabled ? 'disable' : 'enable'}`);
    await queryClient.invalidateQueries({ queryKey: ['admin', 'users'] });
    notifications.show({ message: disabled ? `${u.email} is disabled and signed out everywhere.` : `${u.email} can sign in again.` });
  };

  return (
    <>
      <PageHeader title="Admin" description="Everyone with an account on this Cairn." />
      {users.isPending ? (
        <Loading label="Loading users" />
      ) : users.isError ? (
        <ErrorNotice error={users.error} title="Users could not be loaded" />
      ) : (
        <Stack>
          <TextInput label="Filter people" placeholder="Name or email" value={filter} onChange={(e) => setFilter(e.currentTarget.value)} maw={360} type="search" />
          <Text size="sm" c="dimmed" role="status" aria-live="polite">
            {shown.length} of {users.data.users.length} {users.data.users.length === 1 ? 'person' : 'people'}
          </Text>
          <ResponsiveTable
            items={shown}
            rowKey={(u) => u.id}
            caption="Users"
            rowProps={(u) => ({ 'data-user-row': u.id, ...(u.disabledAt ? { style: { background: 'var(--mantine-color-default-hover)' } } : {}) })}
            columns={COLUMNS}
            actions={(u) => (
              <Group gap={6} wrap="nowrap">
                {u.id === me.user.id ? (
                  <Text size="xs" c="dimmed">
                    You
                  </Text>
                ) : u.disabledAt ? (
                  <ConfirmButton
                    label="Enable"
                    color="teal"
                    title={`Enable ${u.email}?`}
                    message={<Text size="sm">They can sign in again. Keys and sessions ended by disabling stay ended.</Text>}
                    onConfirm={() => setDisabled(u, false)}
                  />
                ) : (
                  <ConfirmButton
                    label="Disable"
                    title={`Disable ${u.email}?`}
                    message={<Text size="sm">They are signed out at once, and their API keys and app connections stop working until you enable them again. Nothing is deleted.</Text>}
                    onConfirm={() => setDisabled(u, true)}
                  />
                )}
                {u.disabledAt ? null : (
                  <ConfirmButton
                    label="Reset password"
                    color="indigo"
                    title={`A set-password link for ${u.email}`}
                    confirmLabel="Create link"
                    message={<Text size="sm">A one-time link, valid for an hour, lets them choose a new password. Using it signs them out everywhere else.</Text>}
                    onConfirm={async () => {
                      const r = await post<{ url: string; expiresAt: string }>(`/admin/users/${u.id}/password-reset`);
                      setLink({ email: u.email, ...r });
                    }}
                  />
                )}
              </Group>
            )}
          />
        </Stack>
      )}
      <Modal opened={link !== null} onClose={() => setLink(null)} title={link ? `Set-password link for ${link.email}` : ''} centered size="lg">
        {link ? (
          <Stack>
            <Alert color="yellow" variant="light" title="Send it privately">
              Anyone with this link can set the password. It works once, until {dateTime(link.expiresAt)}.
            </Alert>
            <Group gap="xs" wrap="nowrap">
              <Code style={{ flex: 1, overflowWrap: 'anywhere', padding: '8px 10px' }} data-reset-link>
                {link.url}
              </Code>
              <CopyValue value={link.url} label="Copy link" />
            </Group>
          </Stack>
        ) : null}
      </Modal>
    </>
  );
}
