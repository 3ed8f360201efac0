/**
 * The invitation page, `/dashboard/invite#<token>`: who invites the signed-in person to which workspace as
 * what, and Accept, which joins it and moves the dashboard there.
 *
 * The token travels only in the link's fragment (never sent to a server by the browser) and then in POST
 * bodies, never in a URL. main.tsx moves it into sessionStorage before anything loads (teams.ts), so a
 * sign-in on the way, which loses the fragment, still comes back to it.
 *
 * Endpoints: POST /invitations/inspect, POST /invitations/accept (docs/dashboard-api.md).
 */
import { Alert, Button, Group, Paper, Stack, Text, Title } from '@mantine/core';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Link } from 'react-router';
import { ApiError, post } from '../api';
import { Loading } from '../components/common';
import { dateTime } from '../format';
import { useMe } from '../me';
import { captureInvitationToken, forgetInvitationToken, invitationToken, ROLE_HELP, ROLE_LABEL, switchWorkspace, teamErrorMessage } from '../teams';
import type { InvitationPreview, Me, WorkspaceSummary } from '../types';

/** Why an invitation cannot be used, in words (a wrong-address link also names the account signed in). */
function whyNot(e: unknown, me: Me): { title: string; message: string } {
  if (e instanceof ApiError) {
    switch (e.code) {
      case 'NOT_FOUND':
        return { title: 'This invitation does not exist', message: 'Cairn does not know this link. Check that it was copied whole, or ask for a new one.' };
      case 'INVITATION_EXPIRED':
        return { title: 'This invitation has expired', message: teamErrorMessage(e) };
      case 'INVITATION_USED':
        return { title: 'This invitation cannot be used again', message: teamErrorMessage(e) };
      case 'INVITATION_EMAIL_MISMATCH':
        return { title: 'This invitation is for someone else', message: `${teamErrorMessage(e)} You are signed in as ${me.user.email}.` };
      case 'CONFLICT':
        return { title: 'You are already a member', message: 'You already belong to this workspace: choose it in the workspace switcher at the top.' };
    }
  }
  return { title: 'The invitation could not be opened', message: teamErrorMessage(e) };
}

export function InvitePage() {
  const [token, setToken] = useState(invitationToken);
  const [opened, setOpened] = useState(0);
  // A link opened again in this tab while on this page changes only the fragment (no page load): look again.
  useEffect(() => {
    const changed = () => {
      captureInvitationToken();
      setToken(invitationToken());
      setOpened((n) => n + 1);
    };
    window.addEventListener('hashchange', changed);
    return () => window.removeEventListener('hashchange', changed);
  }, []);
  return <Invitation key={opened} token={token} opened={opened} />;
}

function Invitation({ token, opened }: { token: string | null; opened: number }) {
  const me = useMe();
  const preview = useQuery({
    queryKey: ['invitation', token, opened],
    queryFn: () => post<InvitationPreview>('/invitations/inspect', { token }),
    enabled: token !== null,
    staleTime: Infinity,
  });
  const accept = useMutation({
    mutationFn: () => post<{ workspace: WorkspaceSummary }>('/invitations/accept', { token }),
    onSuccess: ({ workspace }) => {
      forgetInvitationToken();
      switchWorkspace(workspace.id, '/memories');
    },
  });

  return (
    <Stack maw={640} gap="md">
      <Title order={1} size="h2">
        Invitation
      </Title>
      {token === null ? (
        <Paper withBorder p="lg" radius="md">
          <Text fw={500}>There is no invitation here</Text>
          <Text size="sm" c="dimmed" mt={4}>
            This page opens an invitation link, which carries its code after a “#”. Open the whole link you were sent; if it is lost, ask for a new one.
          </Text>
        </Paper>
      ) : preview.isPending ? (
        <Loading label="Loading the invitation" />
      ) : preview.isError ? (
        <Unusable error={preview.error} me={me} />
      ) : (
        <Paper withBorder p="lg" radius="md" data-invitation={preview.data.workspace.name}>
          <Stack gap="sm">
            <Text size="lg" fw={600}>
              {preview.data.invitedBy.name || preview.data.invitedBy.email} invites you to {preview.data.workspace.name} as {ROLE_LABEL[preview.data.role].toLowerCase()}
            </Text>
            <Text size="sm">
              As {ROLE_LABEL[preview.data.role].toLowerCase()} you can {ROLE_HELP[preview.data.role]}. Your personal workspace stays yours; you switch between them at the
              top of the dashboard.
            </Text>
            <Text size="sm" c="dimmed">
              You are signed in as {me.user.email}
              {preview.data.email ? `; the invitation is for ${preview.data.email}` : ''}. It expires {dateTime(preview.data.expiresAt)} and works once.
            </Text>
            {accept.isError ? (
              <Alert color="red" title={whyNot(accept.error, me).title} role="alert">
                {whyNot(accept.error, me).message}
              </Alert>
            ) : null}
            <Group>
              <Button onClick={() => accept.mutate()} loading={accept.isPending || accept.isSuccess}>
                Accept and join {preview.data.workspace.name}
              </Button>
              <Button
                variant="default"
                component={Link}
                to="/memories"
                onClick={() => {
                  forgetInvitationToken();
                }}
              >
                Not now
              </Button>
            </Group>
          </Stack>
        </Paper>
      )}
    </Stack>
  );
}

function Unusable({ error, me }: { error: unknown; me: Me }) {
  const { title, message } = whyNot(error, me);
  return (
    <Stack gap="sm" align="flex-start">
      <Alert color="red" title={title} role="alert" w="100%">
        {message}
      </Alert>
      <Button
        variant="default"
        component={Link}
        to="/memories"
        onClick={() => {
          forgetInvitationToken();
        }}
      >
        Go to your memories
      </Button>
    </Stack>
  );
}
