import { PageHeader } from '../components/common';

/** Placeholder until this page is built (see docs/dashboard.md). */
export function MemoriesPage() {
  return <PageHeader title="Memories" />;
}
