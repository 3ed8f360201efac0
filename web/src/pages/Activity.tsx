/**
 * Activity: the workspace's audit log, newest first (`GET /activity`, 50 per page with "Load more"): who or
 * which app read, wrote or deleted what, and every credential event (keys, connections, clients, sessions,
 * users). Filters by action, app, credential (press a row's credential to see only its events) and time.
 * Above it, a stacked bar chart (recharts) of events per day per app over 30 days (`GET /activity/daily`),
 * with the same numbers as a table for screen readers and for anyone who prefers numbers. "Export" downloads the
 * workspace's log as NDJSON (`GET /activity/export`, oldest first), from the chosen "When" on.
 */
import { Badge, Box, Button, Card, Code, Group, Select, Stack, Switch, Table, Text, UnstyledButton, useMantineTheme, VisuallyHidden } from '@mantine/core';
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { download, get } from '../api';
import { ANY_TIME, ErrorNotice, Loading, PageHeader, TimeRangeSelect, type TimeRange } from '../components/common';
import { ResponsiveTable, type Column } from '../components/ResponsiveTable';
import { colourFor, dateTime, relativeTime } from '../format';
import { useMe } from '../me';
import type { ActivityEvent, ActivityPage as Page, DailyCounts, Facets } from '../types';

const ACTIONS: { group: string; items: { value: string; label: string }[] }[] = [
  {
    group: 'Memories',
    items: [
      { value: 'memory.create', label: 'Memory written' },
      { value: 'memory.read', label: 'Memory read' },
      { value: 'memory.list', label: 'Memories listed' },
      { value: 'memory.search', label: 'Memories searched' },
      { value: 'memory.update', label: 'Memory changed' },
      { value: 'memory.delete', label: 'Memory deleted' },
      { value: 'memory.bulk_delete', label: 'Memories deleted in bulk' },
      { value: 'memories.export', label: 'Workspace exported' },
      { value: 'memories.import', label: 'Memories imported' },
    ],
  },
  {
    group: 'Credentials',
    items: [
      { value: 'key.create', label: 'Key created' },
      { value: 'key.rotate', label: 'Key rotated' },
      { value: 'key.revoke', label: 'Key revoked' },
      { value: 'oauth_grant.create', label: 'App authorised' },
      { value: 'oauth_grant.revoke', label: 'App revoked' },
      { value: 'oauth_client.create', label: 'Client created' },
      { value: 'oauth_client.rotate', label: 'Client secret rotated' },
      { value: 'oauth_client.delete', label: 'Client deleted' },
      { value: 'session.revoke', label: 'Session signed out' },
      { value: 'app.access', label: 'App access changed' },
    ],
  },
  {
    group: 'People',
    items: [
      { value: 'user.create', label: 'User created' },
      { value: 'user.disable', label: 'User disabled' },
      { value: 'user.enable', label: 'User enabled' },
      { value: 'user.password_link', label: 'Set-password link made' },
    ],
  },
];
const ACTION_LABEL = new Map(ACTIONS.flatMap((g) => g.items.map((i) => [i.value, i.label] as const)));

const CREDENTIAL_LABEL: Record<string, string> = { api_key: 'key', session: 'dashboard', oauth_access_token: 'app token', client_credentials: 'client', cli: 'command line', browser: 'browser' };

function actionColour(action: string): string {
  if (action.endsWith('.delete') || action.endsWith('.revoke') || action.endsWith('bulk_delete') || action === 'user.disable') return 'red';
  if (action.startsWith('memory.')) return action === 'memory.create' || action === 'memory.update' ? 'indigo' : 'gray';
  return 'orange';
}

export function ActivityPage() {
  const me = useMe();
  const [action, setAction] = useState<string | null>(null);
  const [app, setApp] = useState<string | null>(null);
  const [credential, setCredential] = useState<string | null>(null);
  const [time, setTime] = useState<TimeRange>(ANY_TIME);
  const [exporting, setExporting] = useState(false);
  const [exportError, setExportError] = useState<unknown>(null);

  const daily = useQuery({ queryKey: ['activity', 'daily'], queryFn: () => get<DailyCounts>('/activity/daily', { days: 30 }) });
  const facets = useQuery({ queryKey: ['memories', 'facets'], queryFn: () => get<Facets>('/memories/facets') });
  const filters = { action, app, credential, since: time.since };
  const log = useInfiniteQuery({
    queryKey: ['activity', 'log', filters],
    queryFn: ({ pageParam }) => get<Page>('/activity', { ...filters, limit: 50, cursor: pageParam }),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
  });

  const apps = useMemo(() => {
    const seen = new Map<string, string>();
    for (const a of facets.data?.apps ?? []) seen.set(a.id, a.name);
    for (const d of daily.data?.days ?? []) seen.set(d.app.id, d.app.name);
    return [...seen].map(([value, label]) => ({ value, label })).sort((a, b) => a.label.localeCompare(b.label));
  }, [facets.data, daily.data]);

  const events = log.data?.pages.flatMap((p) => p.events) ?? [];
  const columns: Column<ActivityEvent>[] = [
    {
      label: 'When',
      cell: (e) => (
        <Text size="sm" title={dateTime(e.at)} style={{ whiteSpace: 'nowrap' }}>
          {relativeTime(e.at)}
        </Text>
      ),
    },
    {
      label: 'What',
      cell: (e) => (
        <Badge variant="light" color={actionColour(e.action)} style={{ textTransform: 'none' }} title={e.action}>
          {ACTION_LABEL.get(e.action) ?? e.action}
        </Badge>
      ),
    },
    {
      label: 'Who',
      cell: (e) => (
        <Stack gap={2}>
          <Text size="sm">
            {e.app ? e.app.name : e.userId === me.user.id ? 'You' : (e.userId ?? 'Cairn')}
            {e.app && e.userId === me.user.id ? <Text span size="xs" c="dimmed">{' '}(you)</Text> : null}
          </Text>
          {e.credential ? (
            e.credential.id ? (
              <UnstyledButton onClick={() => setCredential(e.credential!.id)} title={`Show only the events of ${e.credential.id}`}>
                <Text size="xs" c="dimmed" td="underline">
                  {CREDENTIAL_LABEL[e.credential.kind] ?? e.credential.kind} {short(e.credential.id)}
                </Text>
              </UnstyledButton>
            ) : (
              <Text size="xs" c="dimmed">
                {CREDENTIAL_LABEL[e.credential.kind] ?? e.credential.kind}
              </Text>
            )
          ) : null}
        </Stack>
      ),
    },
    { label: 'Target', cell: (e) => (e.target ? <Code>{short(e.target)}</Code> : <Text size="sm" c="dimmed">—</Text>) },
    { label: 'Request', cell: (e) => (e.requestId ? <Code title={e.requestId}>{short(e.requestId)}</Code> : <Text size="sm" c="dimmed">—</Text>) },
  ];

  const filtered = action !== null || app !== null || credential !== null || time.since !== null;

  return (
    <>
      <PageHeader title="Activity" description="Everything that read, wrote or deleted memories in this workspace, and every credential event." />
      <Stack gap="md">
        <DailyChart daily={daily.data} error={daily.error} />
        <Group gap="sm" align="flex-end" wrap="wrap">
          <Select label="Action" w={220} clearable placeholder="All actions" data={ACTIONS} value={action} onChange={setAction} />
          <Select label="App" w={200} clearable placeholder="All apps" data={apps} value={app} onChange={setApp} />
          <TimeRangeSelect label="When" w={170} ranges={['any', '24h', '7d', '30d']} value={time} onChange={setTime} />
          {credential ? (
            <Button variant="light" size="sm" onClick={() => setCredential(null)} aria-label={`Show all credentials (now only ${credential})`}>
              Credential {short(credential)} ✕
            </Button>
          ) : null}
          {filtered ? (
            <Button
              variant="subtle"
              size="sm"
              onClick={() => {
                setAction(null);
                setApp(null);
                setCredential(null);
                setTime(ANY_TIME);
              }}
            >
              Clear filters
            </Button>
          ) : null}
          <Button
            variant="default"
            size="sm"
            ml="auto"
            loading={exporting}
            title="Download this workspace's activity as NDJSON, one event per line, oldest first (the When filter applies)"
            onClick={() => {
              setExporting(true);
              setExportError(null);
              download('/activity/export', { since: time.since })
                .catch(setExportError)
                .finally(() => setExporting(false));
            }}
          >
            Export
          </Button>
        </Group>
        {exportError ? <ErrorNotice error={exportError} title="The activity could not be exported" /> : null}
        {log.isError ? <ErrorNotice error={log.error} title="The activity could not be loaded" /> : null}
        {log.isPending ? (
          <Loading label="Loading activity" />
        ) : events.length === 0 ? (
          <Card withBorder>
            <Text size="sm">{filtered ? 'Nothing matches these filters.' : 'Nothing has happened in this workspace yet.'}</Text>
          </Card>
        ) : (
          <>
            <ResponsiveTable items={events} rowKey={(e) => e.id} caption="Activity, newest first" rowProps={(e) => ({ 'data-activity-row': e.id, 'data-action': e.action })} columns={columns} />
            {log.hasNextPage ? (
              <Group justify="center">
                <Button variant="default" onClick={() => void log.fetchNextPage()} loading={log.isFetchingNextPage}>
                  Load more
                </Button>
              </Group>
            ) : null}
          </>
        )}
      </Stack>
    </>
  );
}

function short(id: string): string {
  return id.length > 18 ? `${id.slice(0, 14)}…` : id;
}

/** 30 days × apps, stacked; days without events are zeros, so the axis is continuous. */
function DailyChart({ daily, error }: { daily: DailyCounts | undefined; error: unknown }) {
  const theme = useMantineTheme();
  const [asTable, setAsTable] = useState(false);
  const { rows, apps } = useMemo(() => {
    const apps = new Map<string, string>();
    const byDay = new Map<string, Record<string, number>>();
    for (const d of daily?.days ?? []) {
      apps.set(d.app.id, d.app.name);
      const day = byDay.get(d.date) ?? {};
      day[d.app.id] = (day[d.app.id] ?? 0) + d.count;
      byDay.set(d.date, day);
    }
    const rows: ({ date: string } & Record<string, number | string>)[] = [];
    const today = new Date();
    for (let i = 29; i >= 0; i--) {
      const date = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() - i)).toISOString().slice(0, 10);
      const counts = byDay.get(date) ?? {};
      rows.push({ date, ...Object.fromEntries([...apps.keys()].map((id) => [id, counts[id] ?? 0])) });
    }
    return { rows, apps: [...apps] };
  }, [daily]);
  if (error) return <ErrorNotice error={error} title="The chart could not be loaded" />;
  if (!daily) return null;
  const total = daily.days.reduce((n, d) => n + d.count, 0);
  const colour = (id: string) => theme.colors[colourFor(id)]?.[6] ?? theme.colors.gray[6];
  const label = (date: string) => new Date(`${date}T00:00:00Z`).toLocaleDateString(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });
  return (
    <Card withBorder padding="md" component="figure" m={0}>
      <Group justify="space-between" mb="xs" wrap="wrap">
        <Text component="figcaption" size="sm" fw={600} id="activity-chart-caption">
          Events per day per app, last 30 days ({total.toLocaleString()} in all)
        </Text>
        <Switch size="xs" label="Show as table" checked={asTable} onChange={(e) => setAsTable(e.currentTarget.checked)} />
      </Group>
      {apps.length === 0 ? (
        <Text size="sm" c="dimmed">
          No app has used this workspace in the last 30 days.
        </Text>
      ) : null}
      {apps.length > 0 && !asTable ? (
        <div style={{ width: '100%', height: 220 }} aria-hidden="true" data-chart="daily">
          <ResponsiveContainer width="100%" height="100%">
            <BarChart accessibilityLayer={false} data={rows} margin={{ top: 4, right: 8, bottom: 0, left: -16 }}>
              <CartesianGrid strokeDasharray="3 3" vertical={false} />
              <XAxis dataKey="date" tickFormatter={label} fontSize={11} minTickGap={16} />
              <YAxis allowDecimals={false} fontSize={11} />
              <Tooltip labelFormatter={(d) => label(String(d))} />
              <Legend wrapperStyle={{ fontSize: 12 }} />
              {apps.map(([id, name]) => (
                <Bar key={id} dataKey={id} name={name} stackId="apps" fill={colour(id)} isAnimationActive={false} />
              ))}
            </BarChart>
          </ResponsiveContainer>
        </div>
      ) : null}
      {apps.length > 0 ? (
        asTable ? (
          <DailyTable rows={rows} apps={apps} label={label} scroll />
        ) : (
          <VisuallyHidden>
            <DailyTable rows={rows} apps={apps} label={label} scroll={false} />
          </VisuallyHidden>
        )
      ) : null}
    </Card>
  );
}

/** `scroll`: in a box that scrolls sideways (and can be focused to scroll by keyboard) when shown; hidden, no box. */
function DailyTable({ rows, apps, label, scroll }: { rows: Record<string, number | string>[]; apps: [string, string][]; label: (d: string) => string; scroll: boolean }) {
  const days = rows.filter((r) => apps.some(([id]) => Number(r[id]) > 0));
  return (
    <Box style={scroll ? { overflowX: 'auto' } : undefined} {...(scroll ? { tabIndex: 0, role: 'region', 'aria-label': 'Events per day, as a table' } : {})}>
      <Table aria-labelledby="activity-chart-caption" striped>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Day</Table.Th>
            {apps.map(([id, name]) => (
              <Table.Th key={id}>{name}</Table.Th>
            ))}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {days.map((r) => (
            <Table.Tr key={String(r.date)}>
              <Table.Td>{label(String(r.date))}</Table.Td>
              {apps.map(([id]) => (
                <Table.Td key={id}>{Number(r[id])}</Table.Td>
              ))}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Box>
  );
}
