/**
 * Export and import of the workspace on the Memories page (docs/dashboard.md): "Export" downloads the workspace
 * as Cairn JSONL (GET /export); "Import…" (writers only; the server refuses viewers anyway) uploads a file to
 * POST /import and shows the report, or the first bad lines with their numbers when nothing was imported.
 */
import { Alert, Button, Checkbox, FileInput, Group, List, Modal, Select, Stack, Text } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ApiError, download, upload } from '../api';
import { ErrorNotice } from '../components/common';

interface LineError {
  line: number;
  message: string;
}

interface ImportReport {
  format: string;
  created: number;
  unchanged: number;
  duplicates: number;
  reattributed: number;
  skipped: LineError[];
  skippedCount: number;
}

const FORMATS = [
  { value: 'auto', label: 'Detect from the file' },
  { value: 'cairn', label: 'Cairn export' },
  { value: 'openmemory', label: 'OpenMemory / mem0' },
  { value: 'server-memory', label: 'MCP server-memory graph' },
];

/** `.json` is a JSON document (OpenMemory/mem0); anything else is sent as JSONL. */
export function contentTypeOf(fileName: string): string {
  return fileName.toLowerCase().endsWith('.json') ? 'application/json' : 'application/x-ndjson';
}

export function TransferActions({ writable }: { writable: boolean }) {
  const [exporting, setExporting] = useState(false);
  const [exportError, setExportError] = useState<unknown>(null);
  const [importing, setImporting] = useState(false);
  return (
    <Stack gap="xs" align="flex-end">
      <Group gap="xs">
        <Button
          variant="default"
          loading={exporting}
          onClick={() => {
            setExporting(true);
            setExportError(null);
            download('/export')
              .catch(setExportError)
              .finally(() => setExporting(false));
          }}
        >
          Export
        </Button>
        {writable ? (
          <Button variant="default" onClick={() => setImporting(true)}>
            Import…
          </Button>
        ) : null}
      </Group>
      {exportError ? <ErrorNotice error={exportError} title="The workspace could not be exported" /> : null}
      {writable ? <ImportDialog opened={importing} onClose={() => setImporting(false)} /> : null}
    </Stack>
  );
}

function ImportDialog({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const queryClient = useQueryClient();
  const [file, setFile] = useState<File | null>(null);
  const [format, setFormat] = useState('auto');
  const [skipBad, setSkipBad] = useState(false);
  const [busy, setBusy] = useState(false);
  const [report, setReport] = useState<ImportReport | null>(null);
  const [error, setError] = useState<unknown>(null);

  const close = () => {
    setFile(null);
    setReport(null);
    setError(null);
    onClose();
  };

  const submit = async () => {
    if (!file) return;
    setBusy(true);
    setReport(null);
    setError(null);
    try {
      const res = await upload<ImportReport>('/import', file, contentTypeOf(file.name), { format: format === 'auto' ? undefined : format, onError: skipBad ? 'skip' : 'abort' });
      setReport(res);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
      // Whatever happened, the list shows what the workspace now holds.
      await queryClient.invalidateQueries({ queryKey: ['memories'] });
    }
  };

  return (
    <Modal opened={opened} onClose={close} title="Import memories" centered size="lg">
      <Stack>
        <Text size="sm" c="dimmed">
          A Cairn export, an OpenMemory or mem0 export (JSON or JSONL) or an MCP server-memory file. Memories this workspace already has are left as they are.
        </Text>
        <FileInput label="File" placeholder="Choose a file" value={file} onChange={setFile} accept=".jsonl,.ndjson,.json,.txt" clearable />
        <Select label="Format" data={FORMATS} value={format} onChange={(v) => setFormat(v ?? 'auto')} allowDeselect={false} />
        <Checkbox label="Skip bad lines (import the rest)" checked={skipBad} onChange={(e) => setSkipBad(e.currentTarget.checked)} />
        {report ? <ImportSummary report={report} /> : null}
        {error ? <ImportFailure error={error} /> : null}
        <Group justify="flex-end">
          <Button variant="default" onClick={close}>
            {report ? 'Close' : 'Cancel'}
          </Button>
          <Button onClick={() => void submit()} loading={busy} disabled={!file}>
            Import
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

function ImportSummary({ report }: { report: ImportReport }) {
  return (
    <Alert color="green" title="Imported" role="status" data-import-report>
      <Text size="sm">
        {report.created} created · {report.unchanged} unchanged · {report.duplicates} duplicates · {report.reattributed} reattributed to you ({report.format})
      </Text>
      {report.skippedCount > 0 ? (
        <>
          <Text size="sm" mt="xs">
            {report.skippedCount} bad {report.skippedCount === 1 ? 'line' : 'lines'} skipped:
          </Text>
          <LineList lines={report.skipped} />
        </>
      ) : null}
    </Alert>
  );
}

function ImportFailure({ error }: { error: unknown }) {
  if (error instanceof ApiError && error.code === 'IMPORT_INVALID') {
    const lines = (error.details?.errors as LineError[] | undefined) ?? [];
    const count = (error.details?.errorCount as number | undefined) ?? lines.length;
    return (
      <Alert color="red" title="Nothing was imported" role="alert" data-import-invalid>
        <Text size="sm">
          {count} bad {count === 1 ? 'line' : 'lines'} in the file. Fix {count === 1 ? 'it' : 'them'}, or tick “Skip bad lines” to import the rest.
        </Text>
        <LineList lines={lines} />
      </Alert>
    );
  }
  return <ErrorNotice error={error} title="The file could not be imported" />;
}

function LineList({ lines }: { lines: LineError[] }) {
  return (
    <List size="sm" mt={4}>
      {lines.slice(0, 20).map((l) => (
        <List.Item key={l.line}>
          Line {l.line}: {l.message}
        </List.Item>
      ))}
    </List>
  );
}
