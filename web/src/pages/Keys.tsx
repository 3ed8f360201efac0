/**
 * API keys: the person's keys for this workspace (`GET /keys`) with prefix, scopes, created, last used, usage
 * and status; create one (`POST /keys`: name, scopes, workspace, expiry) and see it exactly once with a copy
 * button; rotate (`POST /keys/:id/rotate`, optionally letting the old key work a while longer) and revoke
 * (`DELETE /keys/:id`), both after a confirmation. The key itself lives only in this page's state while its
 * dialog is open: it is never stored, and the list shows only the prefix.
 *
 * The owners and admins of a shared workspace also see "All keys in this workspace" (`GET /workspace/keys`):
 * every member's key with its holder, each revocable after a confirmation (`DELETE /workspace/keys/:id`).
 */
import { Alert, Badge, Button, Checkbox, Code, Group, Modal, ScrollArea, Select, Stack, Switch, Table, Text, TextInput, Title, Tooltip, VisuallyHidden } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { del, get, post } from '../api';
import { ConfirmButton, CopyValue, ErrorNotice, FormButtons, PageHeader } from '../components/common';
import { dateTime, relativeTime } from '../format';
import { useMe } from '../me';
import { currentKind, ROLE_LABEL } from '../teams';
import { SCOPES, type ApiKey, type CreatedKey, type RotatedKey, type Scope, type WorkspaceKey } from '../types';

const SCOPE_LABELS: Record<Scope, string> = {
  'memories:read': 'Read memories',
  'memories:write': 'Write memories',
  'memories:delete': 'Delete memories',
  admin: 'Manage keys (admin)',
};

const EXPIRIES = [
  { value: 'never', label: 'Never', days: 0 },
  { value: '7', label: 'In 7 days', days: 7 },
  { value: '30', label: 'In 30 days', days: 30 },
  { value: '90', label: 'In 90 days', days: 90 },
  { value: '365', label: 'In a year', days: 365 },
  { value: 'date', label: 'On a date…', days: 0 },
] as const;

const NOWRAP = { whiteSpace: 'nowrap' } as const;

const GRACE = [
  { value: '0', label: 'Stops at once' },
  { value: '3600', label: 'Works for 1 more hour' },
  { value: '86400', label: 'Works for 1 more day' },
  { value: '604800', label: 'Works for 7 more days' },
];

export function KeysPage() {
  const me = useMe();
  const queryClient = useQueryClient();
  const manages = currentKind(me) === 'shared' && (me.workspace.role === 'owner' || me.workspace.role === 'admin');
  const keys = useQuery({ queryKey: ['keys'], queryFn: () => get<{ keys: ApiKey[] }>('/keys') });
  const [creating, setCreating] = useState(false);
  const [shown, setShown] = useState<{ title: string; key: string; note?: string } | null>(null);
  const [showInactive, setShowInactive] = useState(true);
  const refresh = () => Promise.all([queryClient.invalidateQueries({ queryKey: ['keys'] }), queryClient.invalidateQueries({ queryKey: ['workspace-keys'] })]);

  const all = keys.data?.keys ?? [];
  const order = { active: 0, expired: 1, revoked: 2 } as const;
  const rows = [...all].filter((k) => showInactive || k.status === 'active').sort((a, b) => order[a.status] - order[b.status]);

  return (
    <>
      <PageHeader
        title="API keys"
        description="Keys let an agent or script reach this workspace's memory over MCP or the REST API. Each key is shown once, when it is made."
        actions={<Button onClick={() => setCreating(true)}>Create key</Button>}
      />
      {keys.isError ? <ErrorNotice error={keys.error} title="Keys could not be loaded" /> : null}
      {keys.isPending ? (
        <Text c="dimmed">Loading…</Text>
      ) : all.length === 0 ? (
        <Alert variant="light" title="No keys yet">
          Create a key for a client that cannot sign in through OAuth (Claude Code, Cursor, scripts). Clients such as Claude.ai and ChatGPT connect
          through OAuth and need no key: see Connect a client.
        </Alert>
      ) : (
        <Stack gap="xs">
          <Switch label="Show revoked and expired keys" checked={showInactive} onChange={(e) => setShowInactive(e.currentTarget.checked)} />
          <ScrollArea type="auto">
            <Table miw={980} verticalSpacing="sm" highlightOnHover aria-label="API keys">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Name</Table.Th>
                  <Table.Th>Key</Table.Th>
                  <Table.Th>Scopes</Table.Th>
                  <Table.Th>Created</Table.Th>
                  <Table.Th>Last used</Table.Th>
                  <Table.Th>Requests</Table.Th>
                  <Table.Th>Expires</Table.Th>
                  <Table.Th>Status</Table.Th>
                  <Table.Th>
                    <VisuallyHidden>Actions</VisuallyHidden>
                  </Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {rows.map((k) => (
                  <KeyRow
                    key={k.id}
                    apiKey={k}
                    onRotated={(r) => {
                      void refresh();
                      setShown({
                        title: `New key for “${r.apiKey.name}”`,
                        key: r.key,
                        note:
                          r.previous.status === 'active' && r.previous.expiresAt
                            ? `The old key keeps working until ${dateTime(r.previous.expiresAt)}.`
                            : 'The old key no longer works.',
                      });
                    }}
                    onRevoked={() => {
                      void refresh();
                      notifications.show({ message: `Key “${k.name}” revoked. Clients using it are refused from now on.` });
                    }}
                  />
                ))}
              </Table.Tbody>
            </Table>
          </ScrollArea>
        </Stack>
      )}
      {manages ? <WorkspaceKeys onChanged={() => void refresh()} /> : null}
      <CreateKeyModal
        opened={creating}
        onClose={() => setCreating(false)}
        onCreated={() => void refresh()}
      />
      <ShownOnce shown={shown} onDone={() => setShown(null)} />
    </>
  );
}

/** Every key of the shared workspace, for its owners and admins: who holds it, and a Revoke for each active one. */
function WorkspaceKeys({ onChanged }: { onChanged: () => void }) {
  const me = useMe();
  const queryClient = useQueryClient();
  const keys = useQuery({ queryKey: ['workspace-keys'], queryFn: () => get<{ keys: WorkspaceKey[] }>('/workspace/keys') });
  const [showInactive, setShowInactive] = useState(false);
  const order = { active: 0, expired: 1, revoked: 2 } as const;
  const all = keys.data?.keys ?? [];
  const rows = [...all].filter((k) => showInactive || k.status === 'active').sort((a, b) => order[a.status] - order[b.status]);
  return (
    <Stack gap="xs" mt="xl" component="section" aria-labelledby="workspace-keys-title">
      <Title order={3} id="workspace-keys-title">
        All keys in this workspace
      </Title>
      <Text size="sm" c="dimmed">
        Every member's keys for “{me.workspace.name}”. As {me.workspace.role === 'owner' ? 'an owner' : 'an admin'} you can revoke any of them; the key itself is never shown.
      </Text>
      {keys.isError ? <ErrorNotice error={keys.error} title="The workspace's keys could not be loaded" /> : null}
      {keys.isPending ? (
        <Text c="dimmed">Loading…</Text>
      ) : all.length === 0 ? (
        <Text size="sm">Nobody has a key for this workspace yet.</Text>
      ) : (
        <>
          <Switch label="Show revoked and expired keys" checked={showInactive} onChange={(e) => setShowInactive(e.currentTarget.checked)} />
          <ScrollArea type="auto">
            <Table miw={900} verticalSpacing="sm" highlightOnHover aria-label="All keys in this workspace">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Holder</Table.Th>
                  <Table.Th>Name</Table.Th>
                  <Table.Th>Key</Table.Th>
                  <Table.Th>Scopes</Table.Th>
                  <Table.Th>Created</Table.Th>
                  <Table.Th>Last used</Table.Th>
                  <Table.Th>Status</Table.Th>
                  <Table.Th>
                    <VisuallyHidden>Actions</VisuallyHidden>
                  </Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {rows.map((k) => {
                  const who = k.holder.name ? `${k.holder.name} (${k.holder.email})` : k.holder.email;
                  const inactive = k.status !== 'active';
                  return (
                    <Table.Tr key={k.id} data-workspace-key-row={k.id} style={inactive ? { background: 'var(--mantine-color-default-hover)' } : undefined}>
                      <Table.Td>
                        <Text size="sm">{who}</Text>
                        <Text size="xs" c="dimmed">
                          {k.holder.userId === me.user.id ? 'you' : k.holder.role ? ROLE_LABEL[k.holder.role] : 'no longer a member'}
                        </Text>
                      </Table.Td>
                      <Table.Td fw={600}>{k.name}</Table.Td>
                      <Table.Td>
                        <Code>{k.prefix}…</Code>
                      </Table.Td>
                      <Table.Td>
                        <ScopeBadges scopes={k.scopes} />
                      </Table.Td>
                      <Table.Td title={dateTime(k.createdAt)} style={NOWRAP}>
                        {relativeTime(k.createdAt)}
                      </Table.Td>
                      <Table.Td title={k.lastUsedAt ? dateTime(k.lastUsedAt) : undefined} style={NOWRAP}>
                        {relativeTime(k.lastUsedAt)}
                      </Table.Td>
                      <Table.Td style={NOWRAP}>
                        <Badge variant={inactive ? 'outline' : 'light'} color={k.status === 'active' ? 'teal' : k.status === 'revoked' ? 'red' : 'gray'}>
                          {k.status}
                        </Badge>
                      </Table.Td>
                      <Table.Td>
                        {inactive ? null : (
                          <ConfirmButton
                            label="Revoke"
                            title={`Revoke ${k.holder.email}'s key “${k.name}”?`}
                            confirmLabel="Revoke key"
                            message={
                              <Text size="sm">
                                Every client using this key is refused from its next request. This cannot be undone; {k.holder.userId === me.user.id ? 'you' : k.holder.email} can create a new key.
                              </Text>
                            }
                            onConfirm={async () => {
                              await del(`/workspace/keys/${k.id}`);
                              await queryClient.invalidateQueries({ queryKey: ['workspace-keys'] });
                              onChanged();
                              notifications.show({ message: `${k.holder.email}'s key “${k.name}” revoked. Clients using it are refused from now on.` });
                            }}
                          />
                        )}
                      </Table.Td>
                    </Table.Tr>
                  );
                })}
              </Table.Tbody>
            </Table>
          </ScrollArea>
        </>
      )}
    </Stack>
  );
}

/** A key's scopes, `admin` (everything, and key management) in orange. */
function ScopeBadges({ scopes }: { scopes: readonly string[] }) {
  return (
    <Group gap={4}>
      {scopes.map((s) => (
        <Badge key={s} size="sm" variant="light" color={s === 'admin' ? 'orange' : 'gray'} style={{ textTransform: 'none' }}>
          {s}
        </Badge>
      ))}
    </Group>
  );
}

function KeyRow({ apiKey: k, onRotated, onRevoked }: { apiKey: ApiKey; onRotated: (r: RotatedKey) => void; onRevoked: () => void }) {
  const [grace, setGrace] = useState('0');
  const inactive = k.status !== 'active';
  return (
    <Table.Tr data-key-row={k.id} style={inactive ? { background: 'var(--mantine-color-default-hover)' } : undefined}>
      <Table.Td fw={600} style={{ minWidth: 110 }}>
        {k.name}
      </Table.Td>
      <Table.Td>
        <Code>{k.prefix}…</Code>
      </Table.Td>
      <Table.Td>
        <ScopeBadges scopes={k.scopes} />
      </Table.Td>
      <Table.Td title={dateTime(k.createdAt)} style={NOWRAP}>
        {relativeTime(k.createdAt)}
      </Table.Td>
      <Table.Td title={k.lastUsedAt ? dateTime(k.lastUsedAt) : undefined} style={NOWRAP}>
        {relativeTime(k.lastUsedAt)}
      </Table.Td>
      <Table.Td>{k.usageCount.toLocaleString()}</Table.Td>
      <Table.Td title={k.expiresAt ? dateTime(k.expiresAt) : undefined} style={NOWRAP}>
        {k.expiresAt ? relativeTime(k.expiresAt) : 'never'}
      </Table.Td>
      <Table.Td style={NOWRAP}>
        <Badge styles={{ root: { overflow: 'visible' }, label: { overflow: 'visible' } }} variant={inactive ? 'outline' : 'light'} color={k.status === 'active' ? 'teal' : k.status === 'revoked' ? 'red' : 'gray'}>
          {k.status}
        </Badge>
      </Table.Td>
      <Table.Td>
        {inactive ? null : (
          <Group gap={6} wrap="nowrap">
            <ConfirmButton
              label="Rotate"
              color="indigo"
              title={`Rotate “${k.name}”?`}
              confirmLabel="Rotate key"
              message={
                <Stack gap="sm">
                  <Text size="sm">A new key is made with the same name and scopes, and shown once. Put it into the client, then the old one can stop.</Text>
                  <Select label="The old key" data={GRACE} value={grace} onChange={(v) => setGrace(v ?? '0')} allowDeselect={false} comboboxProps={{ withinPortal: false }} />
                </Stack>
              }
              onConfirm={async () => onRotated(await post<RotatedKey>(`/keys/${k.id}/rotate`, { gracePeriodSeconds: Number(grace) }))}
            />
            <ConfirmButton
              label="Revoke"
              title={`Revoke “${k.name}”?`}
              confirmLabel="Revoke key"
              message={<Text size="sm">Every client using this key is refused from its next request. This cannot be undone; you can create a new key.</Text>}
              onConfirm={async () => {
                await del(`/keys/${k.id}`);
                onRevoked();
              }}
            />
          </Group>
        )}
      </Table.Td>
    </Table.Tr>
  );
}

function CreateKeyModal({ opened, onClose, onCreated }: { opened: boolean; onClose: () => void; onCreated: () => void }) {
  const me = useMe();
  /** After creation the same dialog shows the key, once. */
  const [created, setCreated] = useState<{ key: string; name: string; note?: string } | null>(null);
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<string[]>(['memories:read', 'memories:write']);
  const [workspace, setWorkspace] = useState(me.workspace.id);
  const [expiry, setExpiry] = useState<string>('never');
  const [date, setDate] = useState('');

  const reset = () => {
    setName('');
    setScopes(['memories:read', 'memories:write']);
    setWorkspace(me.workspace.id);
    setExpiry('never');
    setDate('');
    create.reset();
  };

  const expiresAt = (): string | undefined => {
    if (expiry === 'never') return undefined;
    if (expiry === 'date') return date ? new Date(`${date}T23:59:59`).toISOString() : undefined;
    const days = EXPIRIES.find((e) => e.value === expiry)?.days ?? 0;
    return new Date(Date.now() + days * 24 * 3600_000).toISOString();
  };

  const create = useMutation({
    mutationFn: () => {
      const at = expiresAt();
      return post<CreatedKey>('/keys', { name: name.trim(), scopes, ...(at ? { expiresAt: at } : {}) }, workspace);
    },
    onSuccess: (c) => {
      const other = workspace !== me.workspace.id ? (me.workspaces.find((w) => w.id === workspace)?.name ?? workspace) : null;
      reset();
      setCreated({ key: c.key, name: c.apiKey.name, ...(other ? { note: `It belongs to the workspace “${other}”, so it is listed there, not here.` } : {}) });
      onCreated();
    },
  });

  const dateMissing = expiry === 'date' && !date;
  const today = new Date().toISOString().slice(0, 10);

  const done = () => {
    setCreated(null);
    onClose();
  };

  if (created) {
    return (
      <Modal opened={opened} onClose={done} title={`Key “${created.name}” created`} centered closeOnClickOutside={false} size="lg">
        <KeyOnce value={created.key} {...(created.note ? { note: created.note } : {})} onDone={done} />
      </Modal>
    );
  }

  return (
    <Modal
      opened={opened}
      onClose={() => {
        if (create.isPending) return;
        reset();
        onClose();
      }}
      title="Create an API key"
      centered
    >
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (name.trim() && scopes.length > 0 && !dateMissing) create.mutate();
        }}
      >
        <Stack>
          <TextInput label="Name" description="Where it will be used, e.g. “Cursor on my laptop”." required maxLength={64} value={name} onChange={(e) => setName(e.currentTarget.value)} data-autofocus />
          <Checkbox.Group label="Scopes" description="What the key may do." value={scopes} onChange={setScopes} withAsterisk>
            <Stack gap={6} mt={6}>
              {SCOPES.map((s) => (
                <Checkbox key={s} value={s} label={SCOPE_LABELS[s]} />
              ))}
            </Stack>
          </Checkbox.Group>
          {me.workspaces.length > 1 ? (
            <Select
              label="Workspace"
              description="A key can reach only this workspace."
              allowDeselect={false}
              value={workspace}
              onChange={(v) => setWorkspace(v ?? me.workspace.id)}
              data={me.workspaces.map((w) => ({ value: w.id, label: w.kind === 'personal' ? `${w.name} (personal)` : w.name }))}
              comboboxProps={{ withinPortal: false }}
            />
          ) : (
            <Text size="sm">
              Workspace: <strong>{me.workspace.name}</strong>
            </Text>
          )}
          <Select label="Expires" allowDeselect={false} value={expiry} onChange={(v) => setExpiry(v ?? 'never')} data={EXPIRIES.map((e) => ({ value: e.value, label: e.label }))} comboboxProps={{ withinPortal: false }} />
          {expiry === 'date' ? <TextInput type="date" label="Expiry date" required min={today} value={date} onChange={(e) => setDate(e.currentTarget.value)} /> : null}
          {scopes.length === 0 ? (
            <Text size="sm" c="red">
              Choose at least one scope.
            </Text>
          ) : null}
          {create.isError ? <ErrorNotice error={create.error} title="The key was not created" /> : null}
          <FormButtons
            submitLabel="Create"
            busy={create.isPending}
            disabled={!name.trim() || scopes.length === 0 || dateMissing}
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

/** The one time a key is visible: copy it now. */
function ShownOnce({ shown, onDone }: { shown: { title: string; key: string; note?: string } | null; onDone: () => void }) {
  return (
    <Modal opened={shown !== null} onClose={onDone} title={shown?.title} centered closeOnClickOutside={false} size="lg">
      {shown ? <KeyOnce value={shown.key} {...(shown.note ? { note: shown.note } : {})} onDone={onDone} /> : null}
    </Modal>
  );
}

function KeyOnce({ value, note, onDone }: { value: string; note?: string; onDone: () => void }) {
  return (
    <Stack>
      <Alert color="yellow" variant="light" title="Copy it now">
        This is the only time the key is shown. Cairn keeps only a hash of it.
      </Alert>
      <Group gap="xs" wrap="nowrap" align="center">
        <Code style={{ flex: 1, overflowWrap: 'anywhere', padding: '8px 10px' }}>{value}</Code>
        <CopyValue value={value} label="Copy key" />
      </Group>
      {note ? <Text size="sm">{note}</Text> : null}
      <Text size="sm" c="dimmed">
        Use it as <Code>Authorization: Bearer …</Code> (or <Code>X-API-Key</Code>); Connect a client shows each client's set-up.
      </Text>
      <Group justify="flex-end">
        <Tooltip label="Make sure you have copied it" withArrow>
          <Button onClick={onDone}>Done</Button>
        </Tooltip>
      </Group>
    </Stack>
  );
}
