import { PageHeader } from '../components/common';

/** Placeholder until this page is built (see docs/dashboard.md). */
export function ConnectPage() {
  return <PageHeader title="Connect a client" />;
}
