import { PageHeader } from '../components/common';

/** Placeholder until this page is built (see docs/dashboard.md). */
export function KeysPage() {
  return <PageHeader title="API keys" />;
}
