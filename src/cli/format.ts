import { InvalidArgumentError } from 'commander';

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/**
 * `90m`, `12h`, `30d` (also `s` and `w`) → milliseconds. A bare number is refused rather than guessed at,
 * because "30" could mean seconds or days and a wrong guess makes a key live far longer than intended.
 */
export function parseDuration(text: string): number {
  const m = /^\s*(\d+)\s*([smhdw])\s*$/i.exec(text);
  if (!m) throw new InvalidArgumentError(`"${text}" is not a duration; use a number and a unit, e.g. 90m, 12h, 30d (units: s, m, h, d, w).`);
  return Number(m[1]) * UNIT_MS[m[2]!.toLowerCase() as keyof typeof UNIT_MS];
}

/** A timestamp for people and scripts alike: ISO 8601 in UTC, to the second. */
export function formatTime(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Plain-text columns, padded to the widest cell; no box drawing, so output pastes cleanly anywhere. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

export function formatJson(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}
