/**
 * Specific Character Set (0008,0005) decoding for names and descriptions (PS3.5 §6.1). One term:
 * one decoder for the whole value. Several terms: ISO 2022 code extensions — the value switches
 * character sets with escape sequences (a Korean name is "Hong^Gildong=ESC$)C…"), and every
 * delimiter (^ = \ CR LF TAB FF) returns to the initial set, so each segment is decoded with the
 * set its escape designated. Unknown sets fall back to Latin-1 rather than failing the file.
 */

/** Defined term → WHATWG encoding label. */
export const CHARSETS: Record<string, string> = {
  '': 'latin1',
  ISO_IR_6: 'latin1',
  'ISO 2022 IR 6': 'latin1',
  'ISO_IR 100': 'latin1',
  'ISO 2022 IR 100': 'latin1',
  'ISO_IR 101': 'iso-8859-2',
  'ISO 2022 IR 101': 'iso-8859-2',
  'ISO_IR 109': 'iso-8859-3',
  'ISO 2022 IR 109': 'iso-8859-3',
  'ISO_IR 110': 'iso-8859-4',
  'ISO 2022 IR 110': 'iso-8859-4',
  'ISO_IR 144': 'iso-8859-5',
  'ISO 2022 IR 144': 'iso-8859-5',
  'ISO_IR 127': 'iso-8859-6',
  'ISO 2022 IR 127': 'iso-8859-6',
  'ISO_IR 126': 'iso-8859-7',
  'ISO 2022 IR 126': 'iso-8859-7',
  'ISO_IR 138': 'iso-8859-8',
  'ISO 2022 IR 138': 'iso-8859-8',
  'ISO_IR 148': 'iso-8859-9',
  'ISO 2022 IR 148': 'iso-8859-9',
  'ISO_IR 203': 'iso-8859-15',
  'ISO 2022 IR 203': 'iso-8859-15',
  'ISO_IR 166': 'windows-874',
  'ISO 2022 IR 166': 'windows-874',
  'ISO_IR 13': 'shift_jis',
  'ISO 2022 IR 13': 'shift_jis',
  'ISO 2022 IR 87': 'iso-2022-jp',
  'ISO 2022 IR 159': 'iso-2022-jp',
  'ISO 2022 IR 149': 'euc-kr',
  'ISO 2022 IR 58': 'gbk',
  'ISO_IR 192': 'utf-8',
  GB18030: 'gb18030',
  GBK: 'gbk',
};

/** Escape sequence (bytes after ESC) → how the following bytes are decoded. */
const ESCAPES: Record<string, string> = {
  '(B': 'latin1', // ASCII
  '(J': 'latin1', // JIS X 0201 Romaji: ASCII for names
  ')I': 'shift_jis', // JIS X 0201 Katakana in GR: Shift-JIS single bytes
  '$B': 'jis0208', // JIS X 0208, two 7-bit bytes per character
  '$)C': 'euc-kr', // KS X 1001 in GR
  '$)A': 'gbk', // GB 2312 in GR
  '-A': 'latin1',
  '-B': 'iso-8859-2',
  '-C': 'iso-8859-3',
  '-D': 'iso-8859-4',
  '-L': 'iso-8859-5',
  '-G': 'iso-8859-6',
  '-F': 'iso-8859-7',
  '-H': 'iso-8859-8',
  '-M': 'iso-8859-9',
  '-b': 'iso-8859-15',
  '-T': 'windows-874',
};

const DELIMITERS = new Set([0x5e, 0x3d, 0x5c, 0x0d, 0x0a, 0x09, 0x0c]);

function decode(label: string, bytes: Uint8Array): string {
  if (bytes.length === 0) return '';
  try {
    if (label === 'jis0208') {
      // Let the ISO-2022-JP decoder do JIS X 0208: wrap the segment in its designations.
      const wrapped = new Uint8Array(bytes.length + 6);
      wrapped.set([0x1b, 0x24, 0x42]);
      wrapped.set(bytes, 3);
      wrapped.set([0x1b, 0x28, 0x42], bytes.length + 3);
      return new TextDecoder('iso-2022-jp').decode(wrapped);
    }
    return new TextDecoder(label).decode(bytes);
  } catch {
    return new TextDecoder('latin1').decode(bytes);
  }
}

export function decodeText(raw: Uint8Array, specificCharacterSet: string | undefined): string {
  const terms = (specificCharacterSet ?? '').split('\\').map((t) => t.trim());
  const initial = CHARSETS[terms[0] ?? ''] ?? 'latin1';
  if (terms.length <= 1 && !raw.includes(0x1b)) return decode(initial, raw);

  let out = '';
  let current = initial;
  let start = 0;
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i]!;
    if (b === 0x1b) {
      out += decode(current, raw.subarray(start, i));
      // An escape sequence: intermediate bytes 0x20–0x2F, then one final byte 0x30–0x7E.
      let j = i + 1;
      while (j < raw.length && raw[j]! >= 0x20 && raw[j]! <= 0x2f) j++;
      const seq = String.fromCharCode(...raw.subarray(i + 1, Math.min(j + 1, raw.length)));
      current = ESCAPES[seq] ?? current;
      i = j;
      start = j + 1;
    } else if (DELIMITERS.has(b) && current !== 'jis0208') {
      out += decode(current, raw.subarray(start, i)) + String.fromCharCode(b);
      current = initial;
      start = i + 1;
    }
  }
  return out + decode(current, raw.subarray(start));
}
