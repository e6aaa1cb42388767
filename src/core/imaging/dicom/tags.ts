/**
 * The data set of a DICOM file as rows for the viewer's tag browser (read-only): every element
 * with its tag, VR, keyword (DICOM dictionary, from dcmjs) and a short display value, sequences
 * walked into their items, private elements marked. Bulk data is never dumped: Pixel Data and any
 * OB/OW/OF/OD/UN value over 64 bytes shows as its length only, so the browser never carries image
 * bytes across IPC.
 */
import { createRequire } from 'node:module';
import { decodeText } from './charset';
import { parseDicomBytes, type DataSet, type Element } from './parse';

interface DictEntry {
  name: string;
  vr: string;
}
const requireCjs = createRequire(import.meta.url);
let dictionary: Record<string, DictEntry | undefined> | undefined;
/** dcmjs's copy of the PS3.6 data dictionary, keyed `(GGGG,EEEE)`. Loaded on first use. */
function dict(): Record<string, DictEntry | undefined> {
  dictionary ??= (requireCjs('dcmjs') as { data: { DicomMetaDictionary: { dictionary: Record<string, DictEntry | undefined> } } }).data.DicomMetaDictionary.dictionary;
  return dictionary;
}

export interface TagRow {
  /** `(0010,0010)` */
  tag: string;
  vr: string;
  /** Dictionary keyword (`PatientName`); `Private` / `Private Creator` / `Unknown` otherwise. */
  name: string;
  value: string;
  /** Odd group: a vendor's private element (PS3.5 §7.8). */
  private: boolean;
  /** Nesting level inside sequences (0 = top level). */
  depth: number;
}

const BULK = new Set(['OB', 'OW', 'OF', 'OD', 'OL', 'OV', 'UN']);
const TEXT = new Set(['PN', 'LO', 'SH', 'ST', 'LT', 'UT', 'UC']);
const MAX_VALUE = 256;
/** Rows beyond this are cut (a 3000-frame enhanced object has huge per-frame sequences). */
export const MAX_TAG_ROWS = 20_000;

const fmtTag = (t: string) => `(${t.slice(1, 5).toUpperCase()},${t.slice(5, 9).toUpperCase()})`;

function valueOf(ds: DataSet, el: Element, vr: string, charset: string | undefined): string {
  if (el.tag === 'x7fe00010' || (BULK.has(vr) && el.length > 64) || el.encapsulatedPixelData) return `<${el.length === 0xffffffff ? 'encapsulated' : `${el.length} bytes`}>`;
  if (el.length === 0) return '';
  const raw = ds.byteArray.subarray(el.dataOffset, el.dataOffset + el.length);
  const little = true;
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const numbers = (size: number, read: (o: number) => number | bigint) => {
    const out: string[] = [];
    for (let o = 0; o + size <= raw.length && out.length < 32; o += size) out.push(String(read(o)));
    return out.join('\\') + (raw.length / size > 32 ? '\\…' : '');
  };
  switch (vr) {
    case 'US':
      return numbers(2, (o) => view.getUint16(o, little));
    case 'SS':
      return numbers(2, (o) => view.getInt16(o, little));
    case 'UL':
      return numbers(4, (o) => view.getUint32(o, little));
    case 'SL':
      return numbers(4, (o) => view.getInt32(o, little));
    case 'FL':
      return numbers(4, (o) => view.getFloat32(o, little));
    case 'FD':
      return numbers(8, (o) => view.getFloat64(o, little));
    case 'AT':
      return numbers(4, (o) => view.getUint16(o, little) * 0x10000 + view.getUint16(o + 2, little));
    case 'OB':
    case 'OW':
    case 'UN':
      return Array.from(raw.subarray(0, 64), (b) => b.toString(16).padStart(2, '0')).join(' ');
  }
  const s = TEXT.has(vr) ? decodeText(raw, charset) : Buffer.from(raw).toString('latin1');
  return s.replace(/[\0\s]+$/, '');
}

function walk(ds: DataSet, depth: number, charset: string | undefined, out: TagRow[]): void {
  for (const key of Object.keys(ds.elements).sort()) {
    if (out.length >= MAX_TAG_ROWS) return;
    const el = ds.elements[key]!;
    const group = parseInt(key.slice(1, 5), 16);
    const elem = parseInt(key.slice(5, 9), 16);
    if (elem === 0 && group !== 2) continue; // group lengths say nothing to a reader
    const tag = fmtTag(key);
    const known = dict()[tag];
    const isPrivate = group % 2 === 1;
    const vr = el.vr ?? known?.vr?.split('|')[0] ?? (el.items ? 'SQ' : 'UN');
    const name = known?.name ?? (isPrivate ? (elem >= 0x10 && elem <= 0xff ? 'PrivateCreator' : 'Private') : 'Unknown');
    if (el.items) {
      out.push({ tag, vr: 'SQ', name, value: `${el.items.length} item${el.items.length === 1 ? '' : 's'}`, private: isPrivate, depth });
      el.items.forEach((it, i) => {
        if (!it.dataSet || out.length >= MAX_TAG_ROWS) return;
        out.push({ tag: '(FFFE,E000)', vr: '', name: `Item ${i + 1}`, value: '', private: isPrivate, depth: depth + 1 });
        walk(it.dataSet, depth + 2, charset, out);
      });
      continue;
    }
    let value = valueOf(ds, el, vr, charset);
    if (value.length > MAX_VALUE) value = `${value.slice(0, MAX_VALUE)}…`;
    out.push({ tag, vr, name, value, private: isPrivate, depth });
  }
}

/** The tag rows of a Part 10 (or headerless) DICOM file's bytes. */
export function listTags(bytes: Uint8Array): { rows: TagRow[]; truncated: boolean } {
  const { dataSet } = parseDicomBytes(bytes);
  const rows: TagRow[] = [];
  walk(dataSet, 0, dataSet.string('x00080005'), rows);
  return { rows, truncated: rows.length >= MAX_TAG_ROWS };
}
