import { ActionIcon, Alert, Avatar, Button, Center, CopyButton, Group, Loader, Modal, Select, Stack, Text, Title, Tooltip } from '@mantine/core';
import { useState, type ReactNode } from 'react';
import { errorMessage } from '../api';
import { colourFor, dateTime, initials, relativeTime } from '../format';

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

/**
 * A time as people read it ("3 hours ago"), with the exact date and time on hover and in the `<time>`
 * element's machine-readable value; `never` when there is none (a key never used, an app never changed).
 */
export function When({ iso, never = 'never', dimmed = false }: { iso: string | null | undefined; never?: string; dimmed?: boolean }) {
  if (!iso) {
    return (
      <Text span size="sm" c="dimmed">
        {never}
      </Text>
    );
  }
  return (
    <Text span size="sm" c={dimmed ? 'dimmed' : undefined} component="time" dateTime={iso} title={dateTime(iso)}>
      {relativeTime(iso)}
    </Text>
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

/** A spinner that says what is loading (announced politely), for a page or a section. */
export function Loading({ label }: { label: string }) {
  return (
    <Center py="lg" role="status" aria-live="polite">
      <Loader size="sm" aria-label={label} />
    </Center>
  );
}

/** A dialog form's buttons: Cancel (disabled while it works) and the submit button. */
export function FormButtons({ submitLabel, busy, disabled, onCancel }: { submitLabel: string; busy: boolean; disabled?: boolean; onCancel: () => void }) {
  return (
    <Group justify="flex-end">
      <Button variant="default" onClick={onCancel} disabled={busy}>
        Cancel
      </Button>
      <Button type="submit" loading={busy} disabled={disabled}>
        {submitLabel}
      </Button>
    </Group>
  );
}

/** A "since" filter's choice. `since` is fixed when the range is chosen, so a query key built from it stays stable. */
export interface TimeRange {
  readonly value: string;
  readonly since: string | null;
}
export const ANY_TIME: TimeRange = { value: 'any', since: null };

const TIME_RANGES = [
  { value: 'any', label: 'Any time', ms: 0 },
  { value: '24h', label: 'Last 24 hours', ms: 24 * 3600_000 },
  { value: '7d', label: 'Last 7 days', ms: 7 * 24 * 3600_000 },
  { value: '30d', label: 'Last 30 days', ms: 30 * 24 * 3600_000 },
  { value: '365d', label: 'Last year', ms: 365 * 24 * 3600_000 },
] as const;

export function TimeRangeSelect(props: { label: string; value: TimeRange; onChange: (range: TimeRange) => void; ranges?: readonly (typeof TIME_RANGES)[number]['value'][]; w?: number }) {
  const ranges = props.ranges ? TIME_RANGES.filter((r) => props.ranges!.includes(r.value)) : TIME_RANGES;
  return (
    <Select
      label={props.label}
      w={props.w ?? 150}
      allowDeselect={false}
      value={props.value.value}
      data={ranges.map((r) => ({ value: r.value, label: r.label }))}
      onChange={(v) => {
        const r = TIME_RANGES.find((x) => x.value === v) ?? TIME_RANGES[0];
        props.onChange({ value: r.value, since: r.ms ? new Date(Date.now() - r.ms).toISOString() : null });
      }}
    />
  );
}
