/**
 * "Create a shared workspace": a name, POST /workspaces, and the dashboard moves into the new workspace
 * (its Members page, where the first invitation is made). Opened from the account menu and the Members page.
 */
import { Button, Modal, Stack, Text, TextInput } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { post } from '../api';
import { switchWorkspace } from '../teams';
import type { WorkspaceSummary } from '../types';
import { ErrorNotice, FormButtons } from './common';

export function CreateWorkspaceModal({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const [name, setName] = useState('');
  const create = useMutation({
    mutationFn: () => post<{ workspace: WorkspaceSummary }>('/workspaces', { name: name.trim() }),
    onSuccess: ({ workspace }) => switchWorkspace(workspace.id, '/members'),
  });
  const close = () => {
    if (create.isPending) return;
    setName('');
    create.reset();
    onClose();
  };
  return (
    <Modal opened={opened} onClose={close} title="Create a shared workspace" centered>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (name.trim()) create.mutate();
        }}
      >
        <Stack>
          <Text size="sm">
            A shared workspace has its own memories, keys and apps, and members you invite. You become its owner; your personal workspace stays as it is.
          </Text>
          <TextInput label="Name" description="What the team calls it, e.g. “Platform team”." required maxLength={100} value={name} onChange={(e) => setName(e.currentTarget.value)} data-autofocus />
          {create.isError ? <ErrorNotice error={create.error} title="The workspace was not created" /> : null}
          <FormButtons submitLabel="Create workspace" busy={create.isPending || create.isSuccess} disabled={!name.trim()} onCancel={close} />
        </Stack>
      </form>
    </Modal>
  );
}

/** A button that opens the dialog. */
export function CreateWorkspaceButton({ variant = 'light' }: { variant?: 'light' | 'filled' | 'default' }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <Button variant={variant} onClick={() => setOpen(true)}>
        Create a shared workspace
      </Button>
      <CreateWorkspaceModal opened={open} onClose={() => setOpen(false)} />
    </>
  );
}
