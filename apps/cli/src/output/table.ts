import { stripVTControlCharacters } from 'node:util';

/** Visible width: colour escapes take no room. */
const width = (s: string) => stripVTControlCharacters(s).length;

/**
 * A plain aligned table for people (kubectl's look: upper-case headers, two spaces between columns).
 * Scripts use --json instead; the last column is never padded.
 */
export function renderTable(headers: string[], rows: string[][]): string[] {
  const widths = headers.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i] ?? ''))));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(widths[i] - width(c))))
      .join('  ')
      .trimEnd();
  return [line(headers.map((h) => h.toUpperCase())), ...rows.map(line)];
}

/** Cuts a long cell (a title) to `max` characters with an ellipsis. */
export function clip(value: string, max: number): string {
  return value.length <= max ? value : `${value.slice(0, max - 1)}…`;
}
