import { ActionIcon, Alert, Avatar, Button, CopyButton, Group, Modal, Stack, Text, Title, Tooltip } from '@mantine/core';
import { useState, type ReactNode } from 'react';
import { errorMessage } from '../api';
import { colourFor, initials } from '../format';

export function PageHeader({ title, description, actions }: { title: string; description?: ReactNode; actions?: ReactNode }) {
  return (
    <Group justify="space-between" align="flex-start" mb="md" wrap="wrap" gap="sm">
      <Stack gap={4}>
        <Title order={1} size="h2">
          {title}
        </Title>
        {description ? (
          <Text c="dimmed" size="sm">
            {description}
          </Text>
        ) : null}
      </Stack>
      {actions ? <Group gap="xs">{actions}</Group> : null}
    </Group>
  );
}

export function ErrorNotice({ error, title = 'Something went wrong' }: { error: unknown; title?: string }) {
  return (
    <Alert color="red" title={title} role="alert" mb="md">
      {errorMessage(error)}
    </Alert>
  );
}

/** A value with a copy button (keys, snippets, URLs). */
export function CopyValue({ value, label = 'Copy' }: { value: string; label?: string }) {
  return (
    <CopyButton value={value} timeout={2000}>
      {({ copied, copy }) => (
        <Button size="xs" variant={copied ? 'filled' : 'light'} color={copied ? 'teal' : undefined} onClick={copy} aria-label={label}>
          {copied ? 'Copied' : label}
        </Button>
      )}
    </CopyButton>
  );
}

/** A stable colour avatar for a person (the same id gets the same colour everywhere). */
export function PersonAvatar({ id, name, email, size = 'sm' }: { id: string; name: string | null | undefined; email?: string | undefined; size?: 'xs' | 'sm' | 'md' }) {
  const label = name || email || id;
  return (
    <Tooltip label={label} withArrow>
      <Avatar size={size} color={colourFor(id)} radius="xl" aria-label={label}>
        {initials(name, email)}
      </Avatar>
    </Tooltip>
  );
}

/**
 * A button that asks before doing something that cannot be undone (revoke, rotate, delete, disable).
 * The dialog names the thing and the consequence; the confirm button shows progress and errors stay in it.
 */
export function ConfirmButton(props: {
  label: string;
  title: string;
  message: ReactNode;
  confirmLabel?: string;
  color?: string;
  size?: 'xs' | 'sm';
  variant?: 'light' | 'filled' | 'subtle' | 'outline' | 'default';
  icon?: ReactNode;
  disabled?: boolean;
  onConfirm: () => Promise<unknown>;
}) {
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const trigger = props.icon ? (
    <ActionIcon variant="subtle" color={props.color ?? 'red'} aria-label={props.label} onClick={() => setOpen(true)} disabled={props.disabled}>
      {props.icon}
    </ActionIcon>
  ) : (
    <Button size={props.size ?? 'xs'} variant={props.variant ?? 'light'} color={props.color ?? 'red'} onClick={() => setOpen(true)} disabled={props.disabled}>
      {props.label}
    </Button>
  );
  return (
    <>
      {trigger}
      <Modal opened={open} onClose={() => !busy && setOpen(false)} title={props.title} centered>
        <Stack>
          <div>{props.message}</div>
          {error ? <ErrorNotice error={error} title="It did not work" /> : null}
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setOpen(false)} disabled={busy}>
              Cancel
            </Button>
            <Button
              color={props.color ?? 'red'}
              loading={busy}
              onClick={async () => {
                setBusy(true);
                setError(null);
                try {
                  await props.onConfirm();
                  setOpen(false);
                } catch (e) {
                  setError(e);
                } finally {
                  setBusy(false);
                }
              }}
            >
              {props.confirmLabel ?? props.label}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}
