/**
 * Typed reads of data set attributes. dicom-parser returns raw strings and numbers without knowing
 * VRs in implicit files; these helpers add the defaults, the character set and the checks that the
 * loader needs, and name attributes the way error messages show them: `Rows (0028,0010)`.
 */
import { decodeText } from './charset';
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


/**
 * Text of a name or description in the file's Specific Character Set (0008,0005). dicom-parser
 * maps each byte to one code point, which garbles anything beyond ASCII; we decode the raw bytes,
 * code extensions (ISO 2022 escape sequences) included.
 */
export function text(ds: DataSet, tag: string): string | undefined {
  const el = ds.elements[tag];
  if (!el || el.length === 0) return undefined;
  const raw = ds.byteArray.subarray(el.dataOffset, el.dataOffset + el.length);
  const value = decodeText(raw, ds.string('x00080005'));
  return value.replace(/[\0\s]+$/, '').replace(/^\s+/, '') || undefined;
}
