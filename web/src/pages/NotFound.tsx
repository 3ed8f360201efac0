import { Anchor, Text } from '@mantine/core';
import { Link } from 'react-router';
import { PageHeader } from '../components/common';

export function NotFoundPage() {
  return (
    <>
      <PageHeader title="Page not found" />
      <Text>
        There is no page here. <Anchor component={Link} to="/memories">Go to your memories</Anchor>.
      </Text>
    </>
  );
}
