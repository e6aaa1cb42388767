import { describe, expect, it } from 'vitest';
import { csvLine, guardText } from '../../../src/core/reports/index';
import { parseCsv } from '../../integration/reports/support/csv';

describe('CSV cells (RFC 4180, OWASP formula guard)', () => {
  it('prefixes text cells that a spreadsheet would evaluate', () => {
    for (const s of ['=1+1', '+1', '-1', '@SUM(A1)', '\tx', '\rx', '=HYPERLINK("http://evil","click")']) expect(guardText(s)).toBe(`'${s}`);
    for (const s of ['SN-1', 'a=b', '', '김지우', "'quoted"]) expect(guardText(s)).toBe(s);
  });

  it('leaves numbers as numbers, even negative ones, and nulls empty', () => {
    expect(csvLine([-0.5, 0, 1e-7, null, Number.NaN])).toBe('-0.5,0,1e-7,,\r\n');
  });

  it('quotes commas, quotes and line breaks and reads back to the same strings', () => {
    const cells = ['a,b', 'say "hi"', 'two\nlines', 'cr\r\nlf', '검사, "메모"', 'plain'];
    const line = csvLine(cells);
    expect(line).toBe('"a,b","say ""hi""","two\nlines","cr\r\nlf","검사, ""메모""",plain\r\n');
    expect(parseCsv(line)).toEqual([cells]);
  });

  it('guards a formula and still quotes it when it holds quotes', () => {
    expect(parseCsv(csvLine(['=HYPERLINK("http://x","y")']))).toEqual([[`'=HYPERLINK("http://x","y")`]]);
  });
});
