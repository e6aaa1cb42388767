/**
 * CSV as RFC 4180 (CRLF, fields quoted when they hold a comma, quote or line break, quotes
 * doubled), UTF-8 with a byte-order mark so Excel reads Korean names as UTF-8 rather than the
 * system code page, and text cells guarded against formula injection (OWASP "CSV Injection"):
 * a cell starting with = + - @ tab or carriage return gets a leading apostrophe so a spreadsheet
 * shows it as text instead of evaluating it. Numbers we format ourselves are not guarded: a
 * negative score must stay a number.
 */
export const BOM = '\uFEFF';

const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

export function guardText(s: string): string {
  return FORMULA_START.test(s) ? `'${s}` : s;
}

export type CsvCell = string | number | null;

function cell(v: CsvCell): string {
  if (v === null) return '';
  const s = typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : guardText(v);
  return NEEDS_QUOTES.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export function csvLine(cells: readonly CsvCell[]): string {
  return cells.map(cell).join(',') + '\r\n';
}
