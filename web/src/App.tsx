import { AppShell, Burger, Button, Center, Group, Loader, Menu, NavLink, ScrollArea, Select, Stack, Text, UnstyledButton, VisuallyHidden } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useQueryClient } from '@tanstack/react-query';
import { Navigate, NavLink as RouterNavLink, Route, Routes, useLocation } from 'react-router';
import { chooseWorkspace } from './api';
import { ErrorNotice, PersonAvatar } from './components/common';
import { CreateWorkspaceModal } from './components/CreateWorkspace';
import { MeContext, useMeQuery } from './me';
import { ActivityPage } from './pages/Activity';
import { AdminPage } from './pages/Admin';
import { AppsPage } from './pages/Apps';
import { ConnectPage } from './pages/Connect';
import { InvitePage } from './pages/Invite';
import { KeysPage } from './pages/Keys';
import { MembersPage } from './pages/Members';
import { MemoriesPage } from './pages/Memories';
import { NotFoundPage } from './pages/NotFound';
import { SessionsPage } from './pages/Sessions';
import { INVITE_PATH } from './teams';
import type { Me } from './types';

/** Client-side routes: all outside the server's own prefixes (docs/dashboard-api.md, "The app itself"). */
const NAV = [
  { to: '/memories', label: 'Memories' },
  { to: '/connect', label: 'Connect a client' },
  { to: '/keys', label: 'API keys' },
  { to: '/apps', label: 'Connected apps' },
  { to: '/members', label: 'Members' },
  { to: '/sessions', label: 'Sessions' },
  { to: '/activity', label: 'Activity' },
] as const;

export function App() {
  const me = useMeQuery();
  if (me.isPending) {
    return (
      <Center h="100vh" role="status" aria-live="polite">
        <Loader aria-label="Loading" />
      </Center>
    );
  }
  if (me.isError) {
    return (
      <Center h="100vh" p="md">
        <Stack maw={480}>
          <ErrorNotice error={me.error} title="Cairn could not load your account" />
          <Button onClick={() => void me.refetch()}>Try again</Button>
        </Stack>
      </Center>
    );
  }
  return (
    <MeContext.Provider value={me.data}>
      <Shell me={me.data} />
    </MeContext.Provider>
  );
}

function Shell({ me }: { me: Me }) {
  const [opened, { toggle, close }] = useDisclosure();
  const location = useLocation();
  const nav = me.user.isAdmin ? [...NAV, { to: '/admin', label: 'Admin' } as const] : NAV;
  return (
    <AppShell header={{ height: 56 }} navbar={{ width: 230, breakpoint: 'sm', collapsed: { mobile: !opened } }} padding="md">
      <a href="#main" className="cairn-skip-link">
        Skip to content
      </a>
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label={opened ? 'Close navigation' : 'Open navigation'} />
            <Text fw={700} size="lg" component="span">
              Cairn
            </Text>
          </Group>
          <Group gap="sm" wrap="nowrap">
            <WorkspaceSwitcher me={me} />
            <UserMenu me={me} />
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label="Main">
        <ScrollArea>
          {nav.map((item) => (
            <NavLink
              key={item.to}
              component={RouterNavLink}
              to={item.to}
              label={item.label}
              active={location.pathname.startsWith(item.to)}
              onClick={close}
            />
          ))}
        </ScrollArea>
      </AppShell.Navbar>
      <AppShell.Main id="main" tabIndex={-1}>
        <Routes>
          <Route path="/" element={<Navigate to="/memories" replace />} />
          <Route path="/memories" element={<MemoriesPage />} />
          <Route path="/connect" element={<ConnectPage />} />
          <Route path="/keys" element={<KeysPage />} />
          <Route path="/apps" element={<AppsPage />} />
          <Route path="/members" element={<MembersPage />} />
          <Route path={INVITE_PATH} element={<InvitePage />} />
          <Route path="/sessions" element={<SessionsPage />} />
          <Route path="/activity" element={<ActivityPage />} />
          <Route path="/admin" element={me.user.isAdmin ? <AdminPage /> : <NotFoundPage />} />
          <Route path="*" element={<NotFoundPage />} />
        </Routes>
      </AppShell.Main>
    </AppShell>
  );
}

function WorkspaceSwitcher({ me }: { me: Me }) {
  const queryClient = useQueryClient();
  if (me.workspaces.length < 2) return null;
  return (
    <Select
      aria-label="Workspace"
      size="xs"
      w={{ base: 180, sm: 240 }}
      allowDeselect={false}
      value={me.workspace.id}
      data={me.workspaces.map((w) => ({ value: w.id, label: w.kind === 'personal' ? `${w.name} (personal)` : w.name }))}
      onChange={(id) => {
        if (!id || id === me.workspace.id) return;
        const personal = me.workspaces.find((w) => w.kind === 'personal');
        chooseWorkspace(personal && personal.id === id ? null : id);
        // Everything shown belongs to one workspace: start again from nothing.
        queryClient.clear();
        void queryClient.invalidateQueries();
      }}
    />
  );
}

function UserMenu({ me }: { me: Me }) {
  const [creating, { open, close }] = useDisclosure();
  return (
    <>
      <Menu position="bottom-end" withinPortal>
        <Menu.Target>
          <UnstyledButton aria-label={`Account: ${me.user.email}`}>
            <PersonAvatar id={me.user.id} name={me.user.name} email={me.user.email} />
          </UnstyledButton>
        </Menu.Target>
        <Menu.Dropdown>
          <Menu.Label>
            {me.user.name ?? me.user.email}
            <VisuallyHidden> signed in</VisuallyHidden>
          </Menu.Label>
          <Menu.Label>{me.user.email}</Menu.Label>
          <Menu.Divider />
          <Menu.Item onClick={open}>Create a shared workspace</Menu.Item>
          {/* The server's own sign-out (POST /logout, same-origin form); it ends this session and shows the login page. */}
          <form method="post" action="/logout">
            <Menu.Item component="button" type="submit">
              Sign out
            </Menu.Item>
          </form>
        </Menu.Dropdown>
      </Menu>
      <CreateWorkspaceModal opened={creating} onClose={close} />
    </>
  );
}
