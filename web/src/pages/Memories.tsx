/**
 * Memories: everything the workspace's agents remember, in a list that stays fast at 100k rows.
 *
 * - Browsing pages through `GET /memories` (newest first, 100 per page, cursor) as the list scrolls; only the
 *   rows on screen are in the DOM (@tanstack/react-virtual with the window as the scroller, so the page
 *   scrolls as any page does, on a phone too).
 * - Typing in the search box switches to `POST /memories/search` (the 100 best matches, same filters).
 * - Filters: app and author (from `GET /memories/facets`, which also counts per state for the header and the
 *   empty state), state, and creation time.
 * - A row opens a drawer with the whole memory, where it can be edited (`PATCH /memories/:id`).
 * - Archive, delete and restore, one row or a selection, go through `POST /memories/bulk-update` at once and
 *   offer "Undo" for a few seconds, which puts the previous state back with the same call. Nothing waits for
 *   the undo window to pass, so closing the tab never loses or half-applies a change.
 * - A viewer of a shared workspace reads only: no selection, no edit, archive, delete or restore (the server
 *   refuses them with 403 FORBIDDEN anyway, and the page says so if it happens).
 */
import {
  ActionIcon,
  Alert,
  Anchor,
  Badge,
  Box,
  Button,
  Card,
  Checkbox,
  Code,
  Drawer,
  Group,
  Loader,
  Select,
  Stack,
  Text,
  Textarea,
  TextInput,
  UnstyledButton,
} from '@mantine/core';
import { useDebouncedValue, useMediaQuery } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { keepPreviousData, useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useWindowVirtualizer } from '@tanstack/react-virtual';
import { memo, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent, type MouseEvent, type ReactNode } from 'react';
import { Link } from 'react-router';
import { ApiError, get, patch, post } from '../api';
import { ANY_TIME, CopyValue, ErrorNotice, PageHeader, PersonAvatar, TimeRangeSelect, type TimeRange } from '../components/common';
import { ArchiveIcon, RestoreIcon, SearchIcon, TrashIcon } from '../components/icons';
import { colourFor, dateTime, initials, relativeTime } from '../format';
import { useMe } from '../me';
import { canWrite } from '../teams';
import type { Facets, Memory, MemoryPage, MemoryState, SearchResults } from '../types';
import { MemoryHistory } from './MemoryHistory';
import { TransferActions } from './MemoriesTransfer';

const PAGE = 100;
const SEARCH_LIMIT = 100;
const UNDO_MS = 6000;
const BULK_MAX = 500;

const STATES: { value: MemoryState; label: string }[] = [
  { value: 'active', label: 'Active' },
  { value: 'archived', label: 'Archived' },
  { value: 'deleted', label: 'Deleted' },
];

interface Filters {
  app: string | null;
  author: string | null;
  state: MemoryState;
  created: TimeRange;
}

const NO_FILTERS: Filters = { app: null, author: null, state: 'active', created: ANY_TIME };

export function MemoriesPage() {
  const me = useMe();
  const writable = canWrite(me);
  const queryClient = useQueryClient();
  const [text, setText] = useState('');
  const [query] = useDebouncedValue(text.trim(), 200);
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [hidden, setHidden] = useState<ReadonlySet<string>>(new Set());
  const [openId, setOpenId] = useState<string | null>(null);

  const facets = useQuery({ queryKey: ['memories', 'facets'], queryFn: () => get<Facets>('/memories/facets') });
  const wire = { app: filters.app, author: filters.author, state: filters.state, since: filters.created.since };

  const list = useInfiniteQuery({
    queryKey: ['memories', 'list', wire],
    queryFn: ({ pageParam }) => get<MemoryPage>('/memories', { ...wire, limit: PAGE, cursor: pageParam }),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
    enabled: query === '',
    placeholderData: keepPreviousData,
  });
  const search = useQuery({
    queryKey: ['memories', 'search', query, wire],
    queryFn: () =>
      post<SearchResults>('/memories/search', {
        query,
        limit: SEARCH_LIMIT,
        filters: Object.fromEntries(Object.entries(wire).filter(([, v]) => v !== null)),
      }),
    enabled: query !== '',
    placeholderData: keepPreviousData,
  });

  const searching = query !== '';
  const source = searching ? search : list;
  const rows = useMemo(() => {
    const all = searching ? (search.data?.results.map((r) => r.memory) ?? []) : (list.data?.pages.flatMap((p) => p.memories) ?? []);
    return hidden.size === 0 ? all : all.filter((m) => !hidden.has(m.id));
  }, [searching, search.data, list.data, hidden]);

  const authors = useMemo(() => new Map((facets.data?.authors ?? []).map((a) => [a.userId, a])), [facets.data]);
  const open = openId ? (rows.find((m) => m.id === openId) ?? null) : null;

  // Selection only means something for rows the person can see.
  useEffect(() => {
    setSelected(new Set());
  }, [query, filters]);

  const changeState = useStateChange(setHidden);
  const select = useCallback((id: string, on: boolean) => {
    setSelected((s) => {
      const next = new Set(s);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });
  }, []);

  const act = useCallback(
    (ids: string[], to: MemoryState, from: MemoryState) => {
      setSelected(new Set());
      setOpenId((open) => (open && ids.includes(open) ? null : open));
      void changeState(ids, to, from);
    },
    [changeState],
  );

  const total = facets.data ? facets.data.counts.active + facets.data.counts.archived + facets.data.counts.deleted : null;
  const filtered = searching || filters.app !== null || filters.author !== null || filters.state !== 'active' || filters.created.since !== null;
  const counts = facets.data?.counts;

  return (
    <>
      <PageHeader
        title="Memories"
        actions={<TransferActions writable={writable} />}
        description={
          counts ? `${counts.active.toLocaleString()} active · ${counts.archived.toLocaleString()} archived · ${counts.deleted.toLocaleString()} deleted` : 'What your agents remember'
        }
      />
      {writable ? null : (
        <Alert color="gray" variant="light" mb="sm" data-read-only>
          Your role in “{me.workspace.name}” is viewer: you can read and search its memories, but not change, archive or delete them.
        </Alert>
      )}
      {total === 0 ? (
        <EmptyWorkspace mcpUrl={me.mcpUrl} />
      ) : (
        <Stack gap="sm">
          <Group gap="sm" align="flex-end" wrap="wrap">
            <TextInput
              label="Search memories"
              placeholder="Words, names, dates…"
              leftSection={<SearchIcon />}
              value={text}
              onChange={(e) => setText(e.currentTarget.value)}
              style={{ flex: '1 1 240px' }}
              type="search"
            />
            <Select
              label="App"
              w={170}
              allowDeselect={false}
              value={filters.app ?? ''}
              data={[{ value: '', label: 'All apps' }, ...(facets.data?.apps ?? []).map((a) => ({ value: a.id, label: a.name }))]}
              onChange={(v) => setFilters((f) => ({ ...f, app: v || null }))}
            />
            <Select
              label="Author"
              w={170}
              allowDeselect={false}
              value={filters.author ?? ''}
              data={[{ value: '', label: 'All authors' }, ...(facets.data?.authors ?? []).map((a) => ({ value: a.userId, label: a.name || a.email }))]}
              onChange={(v) => setFilters((f) => ({ ...f, author: v || null }))}
            />
            <Select
              label="State"
              w={130}
              allowDeselect={false}
              value={filters.state}
              data={STATES}
              onChange={(v) => setFilters((f) => ({ ...f, state: (v as MemoryState | null) ?? 'active' }))}
            />
            <TimeRangeSelect label="Created" value={filters.created} onChange={(created) => setFilters((f) => ({ ...f, created }))} />
          </Group>

          <Group justify="space-between" mih={36} wrap="wrap" gap="xs">
            <Text size="sm" c="dimmed" role="status" aria-live="polite">
              {source.isPending
                ? 'Loading…'
                : searching
                  ? `${rows.length === SEARCH_LIMIT ? `The ${SEARCH_LIMIT} best matches` : `${rows.length} ${rows.length === 1 ? 'match' : 'matches'}`} for “${query}”`
                  : `${rows.length.toLocaleString()}${list.hasNextPage ? '+' : ''} ${filters.state} ${rows.length === 1 ? 'memory' : 'memories'}${filtered ? ' matching the filters' : ''}`}
              {source.isFetching && !source.isPending ? ' · updating…' : ''}
            </Text>
            {writable && selected.size > 0 ? (
              <BulkBar count={selected.size} state={filters.state} onAct={(to) => act([...selected], to, filters.state)} onClear={() => setSelected(new Set())} />
            ) : null}
          </Group>

          {source.isError ? <ErrorNotice error={source.error} title="Memories could not be loaded" /> : null}

          {source.isPending ? (
            <Group justify="center" p="xl">
              <Loader aria-label="Loading memories" />
            </Group>
          ) : rows.length === 0 && !source.isError ? (
            <Card withBorder padding="lg">
              <Stack gap="xs" align="flex-start">
                <Text fw={600}>No memories match</Text>
                <Text size="sm" c="dimmed">
                  {searching ? 'Try other words, or clear the filters.' : `There are no ${filters.state} memories with these filters.`}
                </Text>
                {filtered ? (
                  <Button
                    variant="light"
                    size="xs"
                    onClick={() => {
                      setText('');
                      setFilters(NO_FILTERS);
                    }}
                  >
                    Clear search and filters
                  </Button>
                ) : null}
              </Stack>
            </Card>
          ) : (
            <MemoryList
              rows={rows}
              authors={authors}
              selected={selected}
              onSelect={select}
              onSelectAll={(on) => setSelected(on ? new Set(rows.map((m) => m.id).slice(0, BULK_MAX)) : new Set())}
              onOpen={setOpenId}
              onAct={act}
              writable={writable}
              hasMore={!searching && list.hasNextPage}
              loadingMore={list.isFetchingNextPage}
              loadMore={() => void list.fetchNextPage()}
            />
          )}
        </Stack>
      )}
      <MemoryDrawer
        memory={open}
        author={open ? authors.get(open.authorUserId) : undefined}
        onClose={() => setOpenId(null)}
        onAct={act}
        writable={writable}
        onSaved={() => void queryClient.invalidateQueries({ queryKey: ['memories'] })}
      />
    </>
  );
}

/** Puts memories in `state`, in as many bulk-update calls as the endpoint's limit needs. */
async function setState(ids: readonly string[], state: MemoryState): Promise<void> {
  for (let i = 0; i < ids.length; i += BULK_MAX) await post('/memories/bulk-update', { ids: ids.slice(i, i + BULK_MAX), state });
}

/**
 * Applies a state change at once and offers to undo it. The rows leave the list straight away (`hidden`),
 * and come back if the change fails or is undone.
 */
function useStateChange(setHidden: (f: (s: ReadonlySet<string>) => ReadonlySet<string>) => void) {
  const queryClient = useQueryClient();
  const refresh = useCallback(() => queryClient.invalidateQueries({ queryKey: ['memories'] }), [queryClient]);
  const show = useCallback(
    (ids: string[], on: boolean) =>
      setHidden((s) => {
        const next = new Set(s);
        for (const id of ids) {
          if (on) next.delete(id);
          else next.add(id);
        }
        return next;
      }),
    [setHidden],
  );

  return useCallback(
    async (ids: string[], to: MemoryState, from: MemoryState) => {
      if (ids.length === 0) return;
      show(ids, false);
      try {
        await setState(ids, to);
      } catch (e) {
        show(ids, true);
        notifications.show({ color: 'red', title: forbidden(e) ? 'Not allowed' : 'That did not work', message: e instanceof Error ? e.message : String(e) });
        return;
      }
      const what = ids.length === 1 ? 'Memory' : `${ids.length} memories`;
      const verb = to === 'deleted' ? 'deleted' : to === 'archived' ? 'archived' : 'restored';
      const id = `undo-${Date.now()}-${ids[0]}`;
      notifications.show({
        id,
        autoClose: UNDO_MS,
        withCloseButton: true,
        message: (
          <Group justify="space-between" wrap="nowrap" gap="sm">
            <Text size="sm">
              {what} {verb}.
            </Text>
            <Button
              size="compact-sm"
              variant="light"
              onClick={async () => {
                notifications.hide(id);
                try {
                  await setState(ids, from);
                  notifications.show({ message: `${what} back as before.`, autoClose: 2500 });
                } catch (e) {
                  notifications.show({ color: 'red', title: 'Undo did not work', message: e instanceof Error ? e.message : String(e) });
                }
                await refresh();
              }}
            >
              Undo
            </Button>
          </Group>
        ),
      });
      await refresh();
      show(ids, true);
    },
    [refresh, show],
  );
}

/** A 403: the person's role (or the app's access) does not allow the change; asking again will not help. */
function forbidden(e: unknown): boolean {
  return e instanceof ApiError && e.status === 403;
}

function BulkBar({ count, state, onAct, onClear }: { count: number; state: MemoryState; onAct: (to: MemoryState) => void; onClear: () => void }) {
  return (
    <Group gap="xs" role="group" aria-label="Selected memories">
      <Text size="sm" fw={600}>
        {count} selected
      </Text>
      {state === 'active' ? (
        <Button size="compact-sm" variant="light" onClick={() => onAct('archived')}>
          Archive selected
        </Button>
      ) : (
        <Button size="compact-sm" variant="light" onClick={() => onAct('active')}>
          Restore selected
        </Button>
      )}
      {state !== 'deleted' ? (
        <Button size="compact-sm" variant="light" color="red" onClick={() => onAct('deleted')}>
          Delete selected
        </Button>
      ) : null}
      <Button size="compact-sm" variant="subtle" color="gray" onClick={onClear}>
        Clear selection
      </Button>
    </Group>
  );
}

type AuthorInfo = Facets['authors'][number];

function MemoryList(props: {
  rows: Memory[];
  authors: Map<string, AuthorInfo>;
  selected: ReadonlySet<string>;
  onSelect: (id: string, on: boolean) => void;
  onSelectAll: (on: boolean) => void;
  onOpen: (id: string) => void;
  onAct: (ids: string[], to: MemoryState, from: MemoryState) => void;
  writable: boolean;
  hasMore: boolean;
  loadingMore: boolean;
  loadMore: () => void;
}) {
  const { rows, hasMore, loadingMore, loadMore } = props;
  const phone = useMediaQuery('(max-width: 48em)');
  const listRef = useRef<HTMLDivElement>(null);
  const [margin, setMargin] = useState(0);
  useLayoutEffect(() => {
    setMargin(listRef.current ? listRef.current.getBoundingClientRect().top + window.scrollY : 0);
  }, []);
  const rowHeight = phone ? 92 : 64;
  const virtualizer = useWindowVirtualizer({ count: rows.length, estimateSize: () => rowHeight, overscan: 8, scrollMargin: margin });
  const items = virtualizer.getVirtualItems();
  const last = items.at(-1)?.index ?? 0;
  useEffect(() => {
    if (hasMore && !loadingMore && last >= rows.length - 30) loadMore();
  }, [hasMore, loadingMore, last, rows.length, loadMore]);
  useEffect(() => {
    virtualizer.measure();
  }, [rowHeight, virtualizer]);

  const all = rows.length > 0 && rows.slice(0, BULK_MAX).every((m) => props.selected.has(m.id));
  const some = !all && props.selected.size > 0;

  return (
    <Box>
      <Group gap="sm" px="xs" py={6} style={{ borderBottom: '1px solid var(--mantine-color-default-border)' }}>
        {props.writable ? (
          <Checkbox
            aria-label={rows.length > BULK_MAX ? `Select the first ${BULK_MAX} memories` : 'Select all memories shown'}
            checked={all}
            indeterminate={some}
            onChange={(e) => props.onSelectAll(e.currentTarget.checked)}
          />
        ) : null}
        <Text size="xs" c="dimmed" fw={600} tt="uppercase">
          Memory
        </Text>
      </Group>
      <div ref={listRef} role="list" aria-label="Memories" style={{ position: 'relative', height: virtualizer.getTotalSize() }}>
        {items.map((item) => {
          const m = rows[item.index]!;
          return (
            <MemoryRow
              key={m.id}
              memory={m}
              author={props.authors.get(m.authorUserId)}
              position={item.index + 1}
              count={rows.length}
              top={item.start - virtualizer.options.scrollMargin}
              height={rowHeight}
              phone={!!phone}
              selected={props.selected.has(m.id)}
              onSelect={props.onSelect}
              onOpen={props.onOpen}
              onAct={props.onAct}
              writable={props.writable}
            />
          );
        })}
      </div>
      {loadingMore ? (
        <Group justify="center" p="sm">
          <Loader size="sm" aria-label="Loading more memories" />
        </Group>
      ) : null}
    </Box>
  );
}

/** A Mantine colour's light tint, as its avatar and badge use it. */
function tint(colour: string) {
  return { background: `var(--mantine-color-${colour}-light)`, color: `var(--mantine-color-${colour}-light-color)` };
}

/**
 * One row. Plain elements styled by styles.css rather than Mantine components: a fast scroll mounts a
 * screenful of rows at once, and the component version cost several times as much main-thread time per row
 * (bench/dashboard-ui.ts). Memoised: scrolling re-renders the list, but a row only when its own memory or
 * selection changes.
 */
const MemoryRow = memo(function MemoryRow(props: {
  memory: Memory;
  author: AuthorInfo | undefined;
  position: number;
  count: number;
  top: number;
  height: number;
  phone: boolean;
  selected: boolean;
  onSelect: (id: string, on: boolean) => void;
  onOpen: (id: string) => void;
  onAct: (ids: string[], to: MemoryState, from: MemoryState) => void;
  writable: boolean;
}) {
  const { memory: m, author } = props;
  const authorLabel = author ? author.name || author.email : m.authorUserId;
  const stop = (e: MouseEvent) => e.stopPropagation();
  const openOnKey = (e: KeyboardEvent) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      props.onOpen(m.id);
    }
  };
  const act = (to: MemoryState) => () => props.onAct([m.id], to, m.state);
  return (
    <div
      role="listitem"
      aria-posinset={props.position}
      aria-setsize={props.count}
      data-memory-row={m.id}
      onClick={() => props.onOpen(m.id)}
      className="cairn-memory-row"
      style={{ height: props.height, transform: `translateY(${props.top}px)` }}
    >
      {props.writable ? (
        <input type="checkbox" className="cairn-row-check" aria-label="Select memory" checked={props.selected} onClick={stop} onChange={(e) => props.onSelect(m.id, e.currentTarget.checked)} />
      ) : null}
      <span className="cairn-row-avatar" role="img" aria-label={authorLabel} title={authorLabel} style={tint(colourFor(m.authorUserId))}>
        {initials(author?.name, author?.email)}
      </span>
      <button type="button" className="cairn-row-open" onKeyDown={openOnKey} title="Open">
        <span className="cairn-row-content" data-lines={props.phone ? 2 : 1}>
          {m.content}
        </span>
        <span className="cairn-row-meta">
          <span className="cairn-row-badge" style={tint(colourFor(m.app.id))}>
            {m.app.name}
          </span>
          <span className="cairn-row-time" title={dateTime(m.createdAt)}>
            {relativeTime(m.createdAt)}
          </span>
          {m.state !== 'active' ? <span className={`cairn-row-state cairn-row-state-${m.state}`}>{m.state}</span> : null}
        </span>
      </button>
      {props.writable ? (
        <span className="cairn-row-actions" onClick={stop}>
          {m.state === 'active' ? (
            <button type="button" className="cairn-row-action" aria-label="Archive" title="Archive" onClick={act('archived')}>
              <ArchiveIcon />
            </button>
          ) : (
            <button type="button" className="cairn-row-action" aria-label="Restore" title="Restore" onClick={act('active')}>
              <RestoreIcon />
            </button>
          )}
          {m.state !== 'deleted' ? (
            <button type="button" className="cairn-row-action cairn-row-action-danger" aria-label="Delete" title="Delete" onClick={act('deleted')}>
              <TrashIcon />
            </button>
          ) : null}
        </span>
      ) : null}
    </div>
  );
});

function MemoryDrawer(props: {
  memory: Memory | null;
  author: AuthorInfo | undefined;
  onClose: () => void;
  onAct: (ids: string[], to: MemoryState, from: MemoryState) => void;
  onSaved: () => void;
  writable: boolean;
}) {
  const { memory: m } = props;
  const [editing, setEditing] = useState(false);
  const [content, setContent] = useState('');
  const [metadata, setMetadata] = useState('');
  useEffect(() => {
    setEditing(false);
  }, [m?.id]);

  const save = useMutation({
    mutationFn: async () => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(metadata || '{}');
      } catch {
        parsed = undefined;
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        throw new ApiError(400, 'VALIDATION', 'Metadata must be a JSON object, such as {"project": "billing"}.', undefined);
      }
      const body: { content?: string; metadata?: unknown } = {};
      if (content.trim() !== m!.content) body.content = content.trim();
      if (JSON.stringify(parsed) !== JSON.stringify(m!.metadata)) body.metadata = parsed;
      if (Object.keys(body).length === 0) return;
      await patch(`/memories/${m!.id}`, body);
    },
    onSuccess: () => {
      setEditing(false);
      props.onSaved();
      notifications.show({ message: 'Memory saved.', autoClose: 2500 });
    },
  });

  return (
    <Drawer opened={m !== null} onClose={props.onClose} position="right" size="lg" title="Memory">
      {m ? (
        <Stack gap="md">
          {editing ? (
            <>
              <Textarea label="Content" autosize minRows={4} maxRows={16} value={content} onChange={(e) => setContent(e.currentTarget.value)} data-autofocus />
              <Textarea
                label="Metadata (JSON)"
                autosize
                minRows={2}
                maxRows={10}
                value={metadata}
                onChange={(e) => setMetadata(e.currentTarget.value)}
                styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
              />
              {save.isError ? <ErrorNotice error={save.error} title="Not saved" /> : null}
              <Group justify="flex-end">
                <Button variant="default" onClick={() => setEditing(false)} disabled={save.isPending}>
                  Cancel
                </Button>
                <Button onClick={() => save.mutate()} loading={save.isPending} disabled={content.trim() === ''}>
                  Save
                </Button>
              </Group>
            </>
          ) : (
            <>
              <Text style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>{m.content}</Text>
              {props.writable ? (
                <Group gap="xs">
                  <Button
                    size="xs"
                    onClick={() => {
                      setContent(m.content);
                      setMetadata(JSON.stringify(m.metadata, null, 2));
                      save.reset();
                      setEditing(true);
                    }}
                    disabled={m.state === 'deleted'}
                  >
                    Edit
                  </Button>
                  {m.state === 'active' ? (
                    <Button size="xs" variant="light" color="gray" onClick={() => props.onAct([m.id], 'archived', m.state)}>
                      Archive
                    </Button>
                  ) : (
                    <Button size="xs" variant="light" onClick={() => props.onAct([m.id], 'active', m.state)}>
                      Restore
                    </Button>
                  )}
                  {m.state !== 'deleted' ? (
                    <Button size="xs" variant="light" color="red" onClick={() => props.onAct([m.id], 'deleted', m.state)}>
                      Delete
                    </Button>
                  ) : null}
                </Group>
              ) : null}
            </>
          )}
          <Stack gap={6} component="dl" m={0}>
            <Detail term="Written by">
              <Group gap="xs" wrap="nowrap">
                <PersonAvatar id={m.authorUserId} name={props.author?.name} email={props.author?.email} size="xs" />
                <span>{props.author ? props.author.name || props.author.email : m.authorUserId}</span>
              </Group>
            </Detail>
            <Detail term="App">
              <Badge variant="light" color={colourFor(m.app.id)} style={{ textTransform: 'none' }}>
                {m.app.name}
              </Badge>
            </Detail>
            <Detail term="State">{m.state}</Detail>
            <Detail term="Created">{dateTime(m.createdAt)}</Detail>
            <Detail term="Updated">{dateTime(m.updatedAt)}</Detail>
            <Detail term="Metadata">
              {Object.keys(m.metadata).length === 0 ? (
                <Text size="sm" c="dimmed" component="span">
                  none
                </Text>
              ) : (
                <Code block>{JSON.stringify(m.metadata, null, 2)}</Code>
              )}
            </Detail>
            <Detail term="Id">
              <Code>{m.id}</Code>
            </Detail>
          </Stack>
          <MemoryHistory memory={m} />
        </Stack>
      ) : null}
    </Drawer>
  );
}

function Detail({ term, children }: { term: string; children: ReactNode }) {
  return (
    <Group gap="sm" align="flex-start" wrap="nowrap">
      <Text component="dt" size="sm" c="dimmed" w={90} style={{ flexShrink: 0 }}>
        {term}
      </Text>
      <Box component="dd" m={0} style={{ minWidth: 0, flex: 1, fontSize: 'var(--mantine-font-size-sm)' }}>
        {children}
      </Box>
    </Group>
  );
}

/** A workspace with no memory at all: how to get the first one in. */
function EmptyWorkspace({ mcpUrl }: { mcpUrl: string }) {
  return (
    <Card withBorder padding="xl" maw={640}>
      <Stack gap="sm">
        <Text fw={700} size="lg">
          No memories yet
        </Text>
        <Text size="sm">
          Memories appear here when an agent saves them. Connect Claude, ChatGPT, Cursor, Claude Code or any MCP client to this server, then ask
          it to remember something.
        </Text>
        <Text size="sm" fw={600}>
          Your MCP server URL
        </Text>
        <Group gap="xs" wrap="nowrap">
          <Code style={{ overflowWrap: 'anywhere' }}>{mcpUrl}</Code>
          <CopyValue value={mcpUrl} label="Copy URL" />
        </Group>
        <Group>
          <Button component={Link} to="/connect">
            Connect a client
          </Button>
          <Anchor component={Link} to="/keys" size="sm">
            or create an API key
          </Anchor>
        </Group>
      </Stack>
    </Card>
  );
}
