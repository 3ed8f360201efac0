/**
 * Sessions: the signed-in person's browser sessions (device, IP address, when signed in, last active,
 * expiry), this browser marked; any other one can be signed out, or all others at once. This browser is
 * signed out from the user menu, not here.
 *
 * Endpoints: GET /sessions, DELETE /sessions/:id, POST /sessions/revoke-others (docs/dashboard-api.md).
 */
import { Badge, Code, Paper, Stack, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { del, get, post } from '../api';
import { ConfirmButton, ErrorNotice, Loading, PageHeader } from '../components/common';
import { ResponsiveTable, type Column } from '../components/ResponsiveTable';
import { dateTime, relativeTime } from '../format';
import type { Session } from '../types';

function When({ iso }: { iso: string }) {
  return (
    <time dateTime={iso} title={dateTime(iso)}>
      {relativeTime(iso)}
    </time>
  );
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

const COLUMNS: Column<Session>[] = [
  {
    label: 'Device',
    cell: (s) => (
      <Stack gap={2}>
        <Text size="sm" fw={500}>
          {s.device}{' '}
          {s.current ? (
            <Badge size="sm" color="teal" variant="light" ml={4}>
              This browser
            </Badge>
          ) : null}
        </Text>
        {s.userAgent ? (
          <Text size="xs" c="dimmed" lineClamp={1} title={s.userAgent} maw={320}>
            {s.userAgent}
          </Text>
        ) : null}
      </Stack>
    ),
  },
  {
    label: 'IP address',
    cell: (s) =>
      s.ipAddress ? (
        <Code>{s.ipAddress}</Code>
      ) : (
        <Text span size="sm" c="dimmed">
          unknown
        </Text>
      ),
  },
  { label: 'Signed in', cell: (s) => <When iso={s.createdAt} /> },
  { label: 'Last active', cell: (s) => <When iso={s.lastActiveAt} /> },
  { label: 'Expires', cell: (s) => <When iso={s.expiresAt} /> },
];

export function SessionsPage() {
  const queryClient = useQueryClient();
  const sessions = useQuery({ queryKey: ['sessions'], queryFn: () => get<{ sessions: Session[] }>('/sessions') });
  const list = sessions.data?.sessions ?? [];
  const others = list.filter((s) => !s.current);

  const refresh = async () => {
    await queryClient.invalidateQueries({ queryKey: ['sessions'] });
    void queryClient.invalidateQueries({ queryKey: ['activity'] });
  };
  const signOut = async (s: Session) => {
    await del(`/sessions/${encodeURIComponent(s.id)}`);
    await refresh();
    notifications.show({ color: 'green', title: 'Session signed out', message: `${s.device} is signed out.` });
  };
  const signOutOthers = async () => {
    const { revoked } = await post<{ revoked: number }>('/sessions/revoke-others');
    await refresh();
    notifications.show({ color: 'green', title: 'Other sessions signed out', message: `Signed out ${plural(revoked, 'other session', 'other sessions')}` });
  };

  return (
    <>
      <PageHeader
        title="Sessions"
        description="Browsers signed in to your Cairn account. Sign out any you do not recognise."
        actions={
          <ConfirmButton
            label="Sign out other sessions"
            size="sm"
            variant="light"
            title="Sign out every other session?"
            message={
              <Text size="sm">
                Every browser signed in as you except this one is signed out at once ({plural(others.length, 'session', 'sessions')}). They need your password to sign in again.
              </Text>
            }
            confirmLabel="Sign out others"
            disabled={others.length === 0}
            onConfirm={signOutOthers}
          />
        }
      />
      <Text size="sm" c="dimmed" mb="md">
        "Last active" is when the browser last signed in or its session was renewed (about once a day while in use), not the moment of its latest click, so a browser in use
        now can show an earlier time.
      </Text>
      {sessions.isPending ? (
        <Loading label="Loading sessions" />
      ) : sessions.isError ? (
        <ErrorNotice error={sessions.error} title="Sessions could not be loaded" />
      ) : (
        <Stack>
          <ResponsiveTable
            items={list}
            rowKey={(s) => s.id}
            caption={`${plural(list.length, 'session', 'sessions')}, most recently active first`}
            rowProps={(s) => ({ 'data-session-row': s.id, 'data-current': s.current ? 'true' : undefined })}
            columns={COLUMNS}
            actions={(s) =>
              s.current ? (
                <Text size="xs" c="dimmed">
                  Sign out from the user menu
                </Text>
              ) : (
                <ConfirmButton
                  label="Sign out"
                  title={`Sign out ${s.device}?`}
                  message={<Text size="sm">That browser is signed out at once and needs your password to sign in again.</Text>}
                  confirmLabel="Sign out"
                  onConfirm={() => signOut(s)}
                />
              )
            }
          />
          {others.length === 0 ? (
            <Paper withBorder p="md" radius="md">
              <Text size="sm">This is the only browser signed in as you.</Text>
            </Paper>
          ) : null}
        </Stack>
      )}
    </>
  );
}
