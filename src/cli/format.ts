/** Plain-text output of the client commands: tables for lists, aligned fields for one object. */

const width = (s: string): number => [...s].length;
const pad = (s: string, n: number): string => s + ' '.repeat(Math.max(0, n - width(s)));

/** Columns sized to their widest cell; the last column is not padded, so lines carry no trailing blanks. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i] ?? ''))));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : pad(c, widths[i])))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/** `label: value` lines with the values aligned. */
export function fields(entries: Array<[string, string]>): string {
  const w = Math.max(0, ...entries.map(([k]) => width(k)));
  return entries.map(([k, v]) => `${pad(`${k}:`, w + 1)} ${v}`).join('\n');
}

/** Any JSON value as one short line: multi-line strings (PEM certificates) are summarised, not dumped. */
export function brief(value: unknown): string {
  if (value === undefined || value === null || value === '') return '-';
  if (typeof value === 'string') {
    const lines = value.trim().split(/\r?\n/);
    if (lines.length === 1) return value;
    const certs = (value.match(/-----BEGIN CERTIFICATE-----/g) ?? []).length;
    return certs > 0 ? `(PEM, ${certs} certificate${certs === 1 ? '' : 's'})` : `${lines[0]} … (${lines.length} lines)`;
  }
  if (Array.isArray(value)) return value.length === 0 ? '-' : value.map(brief).join(', ');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** ISO time → `2024-05-01 12:34:56` (UTC, as stored), shorter in tables. */
export function when(iso: unknown): string {
  if (typeof iso !== 'string' || !iso) return '-';
  return iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, '');
}
