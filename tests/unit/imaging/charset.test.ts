/**
 * Names in the file's Specific Character Set, including ISO 2022 code extensions (Korean and
 * Japanese names switch sets with escape sequences). The byte strings were produced by Python's
 * own codecs (euc_kr, iso2022_jp, iso8859_*, gb18030), an encoder independent of our decoder.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeText } from '../../../src/core/imaging/dicom/charset';
import { repoRoot } from '../../support/paths';

const { cases } = JSON.parse(readFileSync(join(repoRoot, 'tests', 'fixtures', 'imaging', 'charsets.json'), 'utf8')) as {
  cases: { what: string; term: string; bytes: number[]; text: string }[];
};

describe('Specific Character Set decoding', () => {
  it.each(cases.map((c) => [c.what, c] as const))('%s', (_what, c) => {
    expect(decodeText(Uint8Array.from(c.bytes), c.term)).toBe(c.text);
  });

  it('a delimiter returns to the initial set (PS3.5 6.1.2.5.3): GR bytes after "=" are the default set again', () => {
    // Initial set Latin-1 in GR; a Korean segment; after "=" a Latin-1 é must not be read as Korean.
    const bytes = Uint8Array.from([0x41, 0x3d, 0x1b, 0x24, 0x29, 0x43, 0xc8, 0xab, 0x3d, 0xe9]);
    expect(decodeText(bytes, 'ISO 2022 IR 100\\ISO 2022 IR 149')).toBe('A=홍=é');
  });

  it('an unknown character set falls back to Latin-1 instead of failing the file', () => {
    expect(decodeText(Uint8Array.from([0x4e, 0xe9]), 'ISO_IR 999')).toBe('Né');
  });
});
