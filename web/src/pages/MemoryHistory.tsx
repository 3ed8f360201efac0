/**
 * A memory's history in its drawer: every version, newest first, with what changed from the one before
 * (the text, the metadata, the state), when, and through which app. Reads GET /memories/:id/history.
 */
import { Badge, Group, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { get } from '../api';
import { ErrorNotice, Loading, When } from '../components/common';
import type { Memory, MemoryVersion } from '../types';

const ACTION_LABEL: Record<MemoryVersion['action'], string> = { create: 'Created', update: 'Changed', delete: 'Deleted', baseline: 'As first recorded' };

/** What a version changed compared with the one before it. */
function changes(v: MemoryVersion, before: MemoryVersion | undefined): string[] {
  if (!before) return [];
  const out: string[] = [];
  if (v.content !== before.content) out.push('text');
  if (JSON.stringify(v.metadata) !== JSON.stringify(before.metadata)) out.push('metadata');
  if (v.state !== before.state) out.push(v.state === 'active' ? 'restored' : v.state);
  return out;
}

export function MemoryHistory({ memory }: { memory: Memory }) {
  // The key carries updatedAt, so an edit made in the drawer shows its new version at once.
  const history = useQuery({ queryKey: ['memory-history', memory.id, memory.updatedAt], queryFn: () => get<{ versions: MemoryVersion[] }>(`/memories/${encodeURIComponent(memory.id)}/history`) });
  return (
    <section aria-labelledby="memory-history">
      <Title order={3} size="h5" id="memory-history" mb="xs">
        History
      </Title>
      {history.isPending ? (
        <Loading label="Loading history" />
      ) : history.isError ? (
        <ErrorNotice error={history.error} title="The history could not be loaded" />
      ) : (
        <Stack component="ol" gap="sm" m={0} p={0} style={{ listStyle: 'none' }}>
          {history.data.versions.map((v, i, all) => {
            const changed = changes(v, all[i + 1]);
            return (
              <li key={v.version} data-version={v.version}>
                <Group gap="xs" wrap="wrap">
                  <Text size="sm" fw={500}>
                    {ACTION_LABEL[v.action]}
                    {changed.length > 0 ? `: ${changed.join(', ')}` : ''}
                  </Text>
                  {v.app ? (
                    <Badge size="sm" variant="light" color="gray" style={{ textTransform: 'none' }}>
                      {v.app.name}
                    </Badge>
                  ) : null}
                  <When iso={v.at} dimmed />
                </Group>
                {changed.includes('text') || v.action === 'create' || v.action === 'baseline' ? (
                  <Text size="sm" c="dimmed" lineClamp={3} style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>
                    {v.content}
                  </Text>
                ) : null}
              </li>
            );
          })}
        </Stack>
      )}
    </section>
  );
}
