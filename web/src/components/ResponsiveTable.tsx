import { Group, Paper, SimpleGrid, Stack, Table, Text, VisuallyHidden } from '@mantine/core';
import { useMediaQuery } from '@mantine/hooks';
import type { CSSProperties, ReactNode } from 'react';

/** Data attributes and a style for a row (or its card). */
export interface RowProps {
  style?: CSSProperties;
  [data: `data-${string}`]: string | undefined;
}

/** One column: its header, and what a row shows in it. */
export interface Column<T> {
  label: string;
  cell: (item: T) => ReactNode;
}

/**
 * A table with real headers on a wide screen; at phone width (below Mantine's `sm`) each row becomes a card
 * of label/value pairs, so nothing needs scrolling sideways. `rowProps` puts data attributes (and a style)
 * on the row or the card alike, so tests and styles find the same element either way.
 */
export function ResponsiveTable<T>(props: {
  items: readonly T[];
  columns: readonly Column<T>[];
  rowKey: (item: T) => string;
  rowProps?: (item: T) => RowProps;
  /** The row's buttons (a last, unlabelled column; the card's footer). */
  actions?: (item: T) => ReactNode;
  /** Names the table for assistive technology (the id of a heading, or a caption). */
  labelledBy?: string;
  caption?: string;
  /** What the card's title is (the first column by default). */
  title?: (item: T) => ReactNode;
}) {
  const phone = useMediaQuery('(max-width: 48em)', false, { getInitialValueInEffect: false });
  const { items, columns, rowKey, rowProps = () => ({}), actions } = props;
  if (phone) {
    const [first, ...rest] = columns;
    return (
      <Stack gap="sm" role="list" aria-labelledby={props.labelledBy} aria-label={props.labelledBy ? undefined : props.caption}>
        {items.map((item) => (
          <Paper key={rowKey(item)} withBorder p="sm" radius="md" role="listitem" {...rowProps(item)}>
            <Stack gap="xs">
              <div>{props.title ? props.title(item) : first?.cell(item)}</div>
              <SimpleGrid cols={2} spacing="xs" verticalSpacing={6} component="dl" m={0}>
                {rest.map((col) => (
                  <div key={col.label} style={{ minWidth: 0 }}>
                    <Text component="dt" size="xs" c="dimmed">
                      {col.label}
                    </Text>
                    <Text component="dd" size="sm" m={0} style={{ overflowWrap: 'anywhere' }}>
                      {col.cell(item)}
                    </Text>
                  </div>
                ))}
              </SimpleGrid>
              {actions ? (
                <Group gap="xs" justify="flex-end">
                  {actions(item)}
                </Group>
              ) : null}
            </Stack>
          </Paper>
        ))}
      </Stack>
    );
  }
  return (
    <Table.ScrollContainer minWidth={720}>
      <Table verticalSpacing="sm" highlightOnHover aria-labelledby={props.labelledBy}>
        {props.caption ? <Table.Caption>{props.caption}</Table.Caption> : null}
        <Table.Thead>
          <Table.Tr>
            {columns.map((col) => (
              <Table.Th key={col.label} scope="col">
                {col.label}
              </Table.Th>
            ))}
            {actions ? (
              <Table.Th scope="col">
                <VisuallyHidden>Actions</VisuallyHidden>
              </Table.Th>
            ) : null}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {items.map((item) => (
            <Table.Tr key={rowKey(item)} {...rowProps(item)}>
              {columns.map((col) => (
                <Table.Td key={col.label}>{col.cell(item)}</Table.Td>
              ))}
              {actions ? (
                <Table.Td>
                  <Group gap="xs" wrap="nowrap">
                    {actions(item)}
                  </Group>
                </Table.Td>
              ) : null}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
