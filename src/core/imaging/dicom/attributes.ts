/**
 * Typed reads of data set attributes. dicom-parser returns raw strings and numbers without knowing
 * VRs in implicit files; these helpers add the defaults, the character set and the checks that the
 * loader needs, and name attributes the way error messages show them: `Rows (0028,0010)`.
 */
import type { DataSet } from './parse';
import { ImagingErrorCode, imagingError } from '../errors';

export function tagLabel(tag: string, name: string): string {
  return `${name} (${tag.slice(1, 5).toUpperCase()},${tag.slice(5).toUpperCase()})`;
}

export function has(ds: DataSet, tag: string): boolean {
  const el = ds.elements[tag];
  return !!el && el.length > 0;
}

export function str(ds: DataSet, tag: string, index?: number): string | undefined {
  if (!has(ds, tag)) return undefined;
  const v = ds.string(tag, index);
  return v === undefined ? undefined : v.replace(/\0+$/, '').trim() || undefined;
}

/** A decimal or integer string value (DS, IS), or undefined when absent or not a number. */
export function num(ds: DataSet, tag: string, index = 0): number | undefined {
  const s = str(ds, tag, index);
  if (s === undefined) return undefined;
  const v = Number(s);
  return Number.isFinite(v) ? v : undefined;
}

export function nums(ds: DataSet, tag: string): number[] | undefined {
  if (!has(ds, tag)) return undefined;
  const count = ds.numStringValues(tag) ?? 0;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const v = num(ds, tag, i);
    if (v === undefined) return undefined;
    out.push(v);
  }
  return out.length ? out : undefined;
}

/** US (or US/SS by pixel representation) value with VR-independent reading. */
export function us(ds: DataSet, tag: string, signed = false, index = 0): number | undefined {
  const el = ds.elements[tag];
  if (!el || el.length < 2 * (index + 1)) return undefined;
  return signed ? ds.int16(tag, index) : ds.uint16(tag, index);
}

export function requireUs(ds: DataSet, tag: string, name: string): number {
  const v = us(ds, tag);
  if (v === undefined) {
    throw imagingError(ImagingErrorCode.DICOM_MISSING_ATTRIBUTE, `The required attribute ${tagLabel(tag, name)} is missing.`, {
      tag: tagLabel(tag, name),
      name,
    });
  }
  return v;
}

const CHARSETS: Record<string, string> = {
  'ISO_IR 100': 'latin1',
  'ISO 2022 IR 100': 'latin1',
  'ISO_IR 101': 'iso-8859-2',
  'ISO_IR 109': 'iso-8859-3',
  'ISO_IR 110': 'iso-8859-4',
  'ISO_IR 144': 'iso-8859-5',
  'ISO_IR 127': 'iso-8859-6',
  'ISO_IR 126': 'iso-8859-7',
  'ISO_IR 138': 'iso-8859-8',
  'ISO_IR 148': 'iso-8859-9',
  'ISO_IR 203': 'iso-8859-15',
  'ISO_IR 166': 'windows-874',
  'ISO_IR 13': 'shift_jis',
  'ISO 2022 IR 13': 'shift_jis',
  'ISO 2022 IR 87': 'iso-2022-jp',
  'ISO 2022 IR 159': 'iso-2022-jp',
  'ISO 2022 IR 149': 'euc-kr',
  'ISO 2022 IR 58': 'gb2312',
  'ISO_IR 192': 'utf-8',
  GB18030: 'gb18030',
  GBK: 'gbk',
};

/**
 * Text of a name or description in the file's Specific Character Set (0008,0005). dicom-parser
 * maps each byte to one code point, which garbles anything beyond ASCII; we decode the raw bytes.
 * With code extensions (several values) we take the last non-default one, enough for names.
 */
export function text(ds: DataSet, tag: string): string | undefined {
  const el = ds.elements[tag];
  if (!el || el.length === 0) return undefined;
  const raw = ds.byteArray.subarray(el.dataOffset, el.dataOffset + el.length);
  const terms = (ds.string('x00080005') ?? '').split('\\').map((t) => t.trim()).filter(Boolean);
  const term = terms.length > 1 ? terms.find((t, i) => i > 0 && CHARSETS[t]) : terms[0];
  const label = (term && CHARSETS[term]) ?? (terms.some((t) => t.includes('2022')) ? 'iso-2022-jp' : 'latin1');
  let value: string;
  try {
    value = new TextDecoder(label).decode(raw);
  } catch {
    value = new TextDecoder('latin1').decode(raw);
  }
  return value.replace(/[\0\s]+$/, '').replace(/^\s+/, '') || undefined;
}
