/**
 * Members: the people of a shared workspace and their roles, and its invitations.
 *
 * - Everyone sees the members (name, email, role, when they joined) and can leave. The owner and admins
 *   change roles and remove people; an admin cannot touch an owner or make anyone owner, an owner can.
 *   A change that would leave the workspace without an owner is refused (LAST_OWNER) and said so.
 * - The owner and admins invite: a role, optionally the email address it is for, and an expiry. The link is
 *   shown once with a copy button (Cairn keeps only a hash of its token); it works once. Pending
 *   invitations are listed with revoke.
 * - An owner can hand the workspace over to another member (they become owner, the owner admin, in one
 *   step) and can delete the workspace, after typing its name.
 * - A personal workspace has no members: the page says so and offers to create a shared one.
 *
 * Endpoints: GET /members, PATCH /members/:userId, DELETE /members/:userId, GET /invitations,
 * POST /invitations, DELETE /invitations/:id, POST /workspace/transfer, DELETE /workspace (docs/dashboard-api.md).
 */
import { Alert, Badge, Button, Code, Group, Modal, Paper, Select, Stack, Text, TextInput, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, del, get, patch, post } from '../api';
import { ConfirmButton, CopyValue, ErrorNotice, FormButtons, Loading, PageHeader, PersonAvatar, When } from '../components/common';
import { CreateWorkspaceButton } from '../components/CreateWorkspace';
import { ResponsiveTable, type Column } from '../components/ResponsiveTable';
import { dateTime } from '../format';
import { useMe } from '../me';
import { currentKind, ROLE_HELP, ROLE_LABEL, switchWorkspace, teamErrorMessage } from '../teams';
import type { CreatedInvitation, Invitation, Member, MembersPage, Role, Transferred } from '../types';

const ROLE_COLOUR: Record<Role, string> = { owner: 'grape', admin: 'indigo', member: 'teal', viewer: 'gray' };

function RoleBadge({ role }: { role: Role }) {
  return (
    <Badge variant="light" color={ROLE_COLOUR[role]} style={{ textTransform: 'none' }}>
      {ROLE_LABEL[role] ?? role}
    </Badge>
  );
}

/** The roles the signed-in person may give: an owner any, an admin all but owner. */
function grantable(myRole: Role): Role[] {
  return myRole === 'owner' ? ['owner', 'admin', 'member', 'viewer'] : ['admin', 'member', 'viewer'];
}

/** Rethrows an error in the team's words, for a ConfirmButton's dialog to show. */
async function inWords<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (e) {
    throw new Error(teamErrorMessage(e));
  }
}

export function MembersPage() {
  const me = useMe();
  if (currentKind(me) === 'personal') return <PersonalWorkspace />;
  return (
    <>
      <PageHeader title="Members" description={`Who can use the workspace “${me.workspace.name}”, and what each person may do.`} />
      <Stack gap="xl">
        <MembersSection workspaceId={me.workspace.id} />
      </Stack>
    </>
  );
}

function PersonalWorkspace() {
  const me = useMe();
  const shared = me.workspaces.filter((w) => w.kind !== 'personal');
  return (
    <>
      <PageHeader title="Members" />
      <Paper withBorder p="lg" radius="md" maw={680} data-workspace-kind="personal">
        <Stack gap="sm" align="flex-start">
          <Text fw={600}>“{me.workspace.name}” is your personal workspace</Text>
          <Text size="sm">
            Only you use it, and it cannot have members. To share memories with other people, create a shared workspace and invite them: each person and each of
            their agents then writes into the same memory, and everyone sees who wrote what.
          </Text>
          {shared.length > 0 ? (
            <Text size="sm" c="dimmed">
              You are also in {shared.length === 1 ? `the shared workspace “${shared[0]!.name}”` : `${shared.length} shared workspaces`}: choose it in the workspace
              switcher at the top to see its members.
            </Text>
          ) : null}
          <CreateWorkspaceButton variant="filled" />
        </Stack>
      </Paper>
    </>
  );
}

function MembersSection({ workspaceId }: { workspaceId: string }) {
  const me = useMe();
  const queryClient = useQueryClient();
  const [problem, setProblem] = useState<string | null>(null);
  const members = useQuery({ queryKey: ['members', workspaceId], queryFn: () => get<MembersPage>('/members') });

  const refresh = async () => {
    await queryClient.invalidateQueries({ queryKey: ['members'] });
    void queryClient.invalidateQueries({ queryKey: ['activity'] });
  };
  const changeRole = useMutation({
    mutationFn: ({ member, role }: { member: Member; role: Role }) => patch<{ member: Member }>(`/members/${encodeURIComponent(member.userId)}`, { role }),
    onMutate: () => setProblem(null),
    onSuccess: async (_res, { member, role }) => {
      await refresh();
      notifications.show({ color: 'green', title: 'Role changed', message: `${member.name || member.email} is now ${ROLE_LABEL[role].toLowerCase()}: ${ROLE_HELP[role]}.` });
    },
    onError: (e) => setProblem(teamErrorMessage(e)),
  });

  if (members.isPending) return <Loading label="Loading members" />;
  if (members.isError) return <ErrorNotice error={members.error} title="Members could not be loaded" />;
  const { myRole, canManage } = members.data;
  const manageable = (m: Member) => canManage && m.userId !== me.user.id && (myRole === 'owner' || m.role !== 'owner');

  const columns: Column<Member>[] = [
    {
      label: 'Name',
      cell: (m) => (
        <Group gap="xs" wrap="nowrap">
          <PersonAvatar id={m.userId} name={m.name} email={m.email} size="xs" />
          <Text size="sm" fw={500}>
            {m.name || m.email}
            {m.userId === me.user.id ? ' (you)' : ''}
          </Text>
        </Group>
      ),
    },
    { label: 'Email', cell: (m) => <Text size="sm" style={{ overflowWrap: 'anywhere' }}>{m.email}</Text> },
    {
      label: 'Role',
      cell: (m) =>
        manageable(m) ? (
          <Select
            aria-label={`Role of ${m.name || m.email}`}
            data={grantable(myRole).map((r) => ({ value: r, label: ROLE_LABEL[r] }))}
            value={m.role}
            allowDeselect={false}
            disabled={changeRole.isPending}
            onChange={(v) => v && v !== m.role && changeRole.mutate({ member: m, role: v as Role })}
            w={130}
          />
        ) : (
          <RoleBadge role={m.role} />
        ),
    },
    { label: 'Joined', cell: (m) => <When iso={m.joinedAt} /> },
  ];

  return (
    <>
      <section aria-labelledby="members-heading">
        <Title order={2} size="h3" id="members-heading" mb="xs">
          People
        </Title>
        <Text size="sm" c="dimmed" mb="sm">
          Your role: <strong>{ROLE_LABEL[myRole]}</strong> ({ROLE_HELP[myRole]}).{' '}
          {canManage ? (myRole === 'owner' ? 'You can change anyone’s role, make others owner, and remove people.' : 'You can change roles and remove people, except owners.') : 'Only an owner or admin can change roles.'}
        </Text>
        {problem ? (
          <Alert color="red" title="The role was not changed" role="alert" mb="sm" withCloseButton closeButtonLabel="Dismiss" onClose={() => setProblem(null)}>
            {problem}
          </Alert>
        ) : null}
        <ResponsiveTable
          items={members.data.members}
          rowKey={(m) => m.userId}
          labelledBy="members-heading"
          rowProps={(m) => ({ 'data-member-row': m.userId, 'data-role': m.role })}
          columns={columns}
          actions={(m) =>
            m.userId === me.user.id ? (
              <ConfirmButton
                label="Leave workspace"
                title={`Leave “${me.workspace.name}”?`}
                message={
                  <Text size="sm">
                    You lose access to its memories, keys and apps at once. Your keys for this workspace stop working. To come back, someone must invite you again.
                  </Text>
                }
                confirmLabel="Leave"
                onConfirm={() => inWords(del(`/members/${encodeURIComponent(m.userId)}`)).then(() => switchWorkspace(null))}
              />
            ) : manageable(m) ? (
              <Group gap={6} wrap="nowrap">
                {myRole === 'owner' && m.role !== 'owner' ? (
                  <ConfirmButton
                    label="Transfer ownership"
                    color="grape"
                    title={`Make ${m.name || m.email} the owner?`}
                    message={
                      <Text size="sm">
                        {m.name || m.email} becomes an owner of “{me.workspace.name}” and you become an admin, in one step. As an admin you can still manage members,
                        keys and apps, but no longer make owners or delete the workspace; only an owner can give that back.
                      </Text>
                    }
                    confirmLabel="Transfer ownership"
                    onConfirm={() =>
                      inWords(post<Transferred>('/workspace/transfer', { userId: m.userId })).then(async () => {
                        notifications.show({ color: 'green', title: 'Ownership transferred', message: `${m.name || m.email} is now the owner; you are an admin.` });
                        await refresh();
                        await queryClient.invalidateQueries({ queryKey: ['me'] });
                      })
                    }
                  />
                ) : null}
                <RemoveMember member={m} onRemoved={refresh} />
              </Group>
            ) : null
          }
        />
      </section>
      {canManage ? <InvitationsSection workspaceId={workspaceId} myRole={myRole} /> : null}
      {myRole === 'owner' ? <DeleteWorkspace name={me.workspace.name} /> : null}
    </>
  );
}

const EXPIRIES = [
  { value: '24', label: '1 day' },
  { value: '168', label: '7 days' },
  { value: '720', label: '30 days' },
] as const;

function InvitationsSection({ workspaceId, myRole }: { workspaceId: string; myRole: Role }) {
  const queryClient = useQueryClient();
  const [creating, setCreating] = useState(false);
  const invitations = useQuery({ queryKey: ['invitations', workspaceId], queryFn: () => get<{ invitations: Invitation[] }>('/invitations') });
  const refresh = async () => {
    await queryClient.invalidateQueries({ queryKey: ['invitations'] });
    void queryClient.invalidateQueries({ queryKey: ['activity'] });
  };

  const columns: Column<Invitation>[] = [
    {
      label: 'For',
      cell: (i) =>
        i.email ? (
          <Text size="sm" style={{ overflowWrap: 'anywhere' }}>
            {i.email}
          </Text>
        ) : (
          <Text size="sm" c="dimmed">
            Anyone with the link
          </Text>
        ),
    },
    { label: 'Role', cell: (i) => <RoleBadge role={i.role} /> },
    { label: 'Invited by', cell: (i) => <Text size="sm">{i.createdBy.name || i.createdBy.email}</Text> },
    { label: 'Created', cell: (i) => <When iso={i.createdAt} /> },
    { label: 'Expires', cell: (i) => <When iso={i.expiresAt} /> },
  ];

  return (
    <section aria-labelledby="invitations-heading">
      <Group justify="space-between" align="center" mb="xs" wrap="wrap" gap="sm">
        <Title order={2} size="h3" id="invitations-heading">
          Invitations
        </Title>
        <Button onClick={() => setCreating(true)}>Invite someone</Button>
      </Group>
      <Text size="sm" c="dimmed" mb="sm">
        An invitation is a link that works once and expires. Send it to the person yourself (chat, email); whoever opens it signs in and joins with the role you chose. If you
        give an email address, only the account with that address can accept it, and Cairn mails the link there when this server is set up to send mail.
      </Text>
      {invitations.isPending ? (
        <Loading label="Loading invitations" />
      ) : invitations.isError ? (
        <ErrorNotice error={invitations.error} title="Invitations could not be loaded" />
      ) : invitations.data.invitations.length === 0 ? (
        <Paper withBorder p="lg" radius="md">
          <Text size="sm">No invitation is waiting to be accepted.</Text>
        </Paper>
      ) : (
        <ResponsiveTable
          items={invitations.data.invitations}
          rowKey={(i) => i.id}
          labelledBy="invitations-heading"
          rowProps={(i) => ({ 'data-invitation-row': i.id })}
          columns={columns}
          actions={(i) => (
            <ConfirmButton
              label="Revoke"
              title="Revoke this invitation?"
              message={<Text size="sm">The link stops working at once; nobody can join with it. You can create a new one.</Text>}
              confirmLabel="Revoke invitation"
              onConfirm={() =>
                inWords(del(`/invitations/${encodeURIComponent(i.id)}`)).then(async () => {
                  await refresh();
                  notifications.show({ color: 'green', title: 'Invitation revoked', message: 'Its link no longer works.' });
                })
              }
            />
          )}
        />
      )}
      <InviteModal opened={creating} myRole={myRole} onClose={() => setCreating(false)} onCreated={() => void refresh()} />
    </section>
  );
}

function InviteModal({ opened, myRole, onClose, onCreated }: { opened: boolean; myRole: Role; onClose: () => void; onCreated: () => void }) {
  const [role, setRole] = useState<Role>('member');
  const [email, setEmail] = useState('');
  const [hours, setHours] = useState('168');
  const [created, setCreated] = useState<CreatedInvitation | null>(null);
  // Only an owner may invite an owner (the server says the same).
  const roles = grantable(myRole);

  const create = useMutation({
    mutationFn: () => post<CreatedInvitation>('/invitations', { role, ...(email.trim() ? { email: email.trim() } : {}), expiresInHours: Number(hours) }),
    onSuccess: (c) => {
      setCreated(c);
      onCreated();
    },
  });
  const reset = () => {
    setRole('member');
    setEmail('');
    setHours('168');
    create.reset();
  };
  const close = () => {
    if (create.isPending) return;
    reset();
    setCreated(null);
    onClose();
  };

  if (created) {
    return (
      <Modal opened={opened} onClose={close} title="Invitation created" centered closeOnClickOutside={false} size="lg">
        <Stack>
          <Alert color="yellow" variant="light" title="Copy the link now">
            This is the only time the link is shown; Cairn keeps only a hash of it. It works once and expires {dateTime(created.invitation.expiresAt)}.
          </Alert>
          {created.invitation.email ? (
            created.mailed ? (
              <Text size="sm" c="green.8" data-testid="invitation-mail">
                Sent to {created.invitation.email}.
              </Text>
            ) : (
              <Text size="sm" c="orange.8" data-testid="invitation-mail">
                Could not send the email ({created.mailError ?? 'unknown reason'}): copy the link and send it yourself.
              </Text>
            )
          ) : null}
          <Group gap="xs" wrap="nowrap" align="center">
            <Code data-testid="invitation-link" style={{ flex: 1, overflowWrap: 'anywhere', padding: '8px 10px' }}>
              {created.url}
            </Code>
            <CopyValue value={created.url} label="Copy link" />
          </Group>
          <Text size="sm">
            {created.invitation.email ? `Whoever opens it signed in as ${created.invitation.email} joins as` : 'Whoever opens it first joins as'}{' '}
            <strong>{ROLE_LABEL[created.invitation.role].toLowerCase()}</strong>: {ROLE_HELP[created.invitation.role]}.
          </Text>
          <Group justify="flex-end">
            <Button onClick={close}>Done</Button>
          </Group>
        </Stack>
      </Modal>
    );
  }

  return (
    <Modal opened={opened} onClose={close} title="Invite someone" centered>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate();
        }}
      >
        <Stack>
          <Select
            label="Role"
            description={ROLE_HELP[role]}
            allowDeselect={false}
            value={role}
            onChange={(v) => setRole((v as Role | null) ?? 'member')}
            data={roles.map((r) => ({ value: r, label: ROLE_LABEL[r] }))}
            comboboxProps={{ withinPortal: false }}
          />
          <TextInput
            label="Email address (optional)"
            description="Only the account with this address can accept. Leave empty for anyone with the link."
            type="email"
            value={email}
            onChange={(e) => setEmail(e.currentTarget.value)}
          />
          <Select
            label="Expires after"
            allowDeselect={false}
            value={hours}
            onChange={(v) => setHours(v ?? '168')}
            data={EXPIRIES.map((e) => ({ value: e.value, label: e.label }))}
            comboboxProps={{ withinPortal: false }}
          />
          {create.isError ? (
            <Alert color="red" title="The invitation was not created" role="alert">
              {teamErrorMessage(create.error)}
            </Alert>
          ) : null}
          <FormButtons submitLabel="Create link" busy={create.isPending} onCancel={close} />
        </Stack>
      </form>
    </Modal>
  );
}

/** The owner's last resort: the workspace goes with every memory, key and app in it, once its name is typed. */
function DeleteWorkspace({ name }: { name: string }) {
  const [open, setOpen] = useState(false);
  const [typed, setTyped] = useState('');
  const remove = useMutation({
    mutationFn: () => api<void>('DELETE', '/workspace', { confirm: typed }),
    onSuccess: () => switchWorkspace(null),
  });
  const close = () => {
    if (remove.isPending) return;
    setOpen(false);
    setTyped('');
    remove.reset();
  };
  return (
    <section aria-labelledby="delete-workspace">
      <Title order={2} size="h3" id="delete-workspace" mb="xs">
        Delete this workspace
      </Title>
      <Group justify="space-between" align="center" wrap="wrap" gap="sm">
        <Text size="sm" c="dimmed" maw={640}>
          Deletes “{name}” with all its memories, keys and apps, for every member, at once. It cannot be undone; export the memories first if you may need them.
        </Text>
        <Button color="red" variant="light" onClick={() => setOpen(true)}>
          Delete workspace
        </Button>
      </Group>
      <Modal opened={open} onClose={close} title={`Delete “${name}”?`} centered>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (typed === name) remove.mutate();
          }}
        >
          <Stack>
            <Text size="sm">Every member loses it, and every memory, key and app in it is deleted. Type the workspace’s name to confirm.</Text>
            <TextInput label="Workspace name" value={typed} onChange={(e) => setTyped(e.currentTarget.value)} autoComplete="off" data-autofocus />
            {remove.isError ? (
              <Alert color="red" title="The workspace was not deleted" role="alert">
                {teamErrorMessage(remove.error)}
              </Alert>
            ) : null}
            <Group justify="flex-end">
              <Button variant="default" onClick={close} disabled={remove.isPending}>
                Cancel
              </Button>
              <Button type="submit" color="red" loading={remove.isPending || remove.isSuccess} disabled={typed !== name}>
                Delete workspace
              </Button>
            </Group>
          </Stack>
        </form>
      </Modal>
    </section>
  );
}

function RemoveMember({ member: m, onRemoved }: { member: Member; onRemoved: () => Promise<void> }) {
  return (
    <ConfirmButton
      label="Remove"
      title={`Remove ${m.name || m.email}?`}
      message={<Text size="sm">{m.name || m.email} loses access to this workspace at once, and the keys they made for it stop working. The memories they wrote stay.</Text>}
      confirmLabel="Remove"
      onConfirm={() =>
        inWords(del(`/members/${encodeURIComponent(m.userId)}`)).then(async () => {
          await onRemoved();
          notifications.show({ color: 'green', title: 'Member removed', message: `${m.name || m.email} no longer has access.` });
        })
      }
    />
  );
}
