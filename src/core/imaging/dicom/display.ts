/**
 * Everything between stored values and the screen that the file prescribes, per frame: the
 * modality LUT (rescale or table), the VOI (windows, VOI LUT table, function), inversion
 * (MONOCHROME1, Presentation LUT Shape), padding, geometry and spacing. Enhanced multi-frame
 * objects carry these in per-frame or shared functional groups; those win over the top level.
 */
import type { DataSet } from './parse';
import { has, num, nums, str, us } from './attributes';
import type { PixelModule } from './pixelModule';
import type { LookupTable, ModalityTransform, PaletteLut, PixelSpacing, VoiFunction, WindowSetting } from '../types';
import { ImagingErrorCode, imagingError } from '../errors';

const PER_FRAME = 'x52009230';
const SHARED = 'x52009229';

/** The data set holding `tag` for a frame: per-frame group item, then shared group, then top level. */
function scope(ds: DataSet, frame: number, macro: string, tag: string): DataSet | undefined {
  const perFrame = ds.elements[PER_FRAME]?.items?.[frame]?.dataSet?.elements[macro]?.items?.[0]?.dataSet;
  if (perFrame && has(perFrame, tag)) return perFrame;
  const shared = ds.elements[SHARED]?.items?.[0]?.dataSet?.elements[macro]?.items?.[0]?.dataSet;
  if (shared && has(shared, tag)) return shared;
  return has(ds, tag) ? ds : undefined;
}

/** LUT Descriptor + Data (PS3.3 C.11.1.1.1): 0 entries means 65536; first mapped is US or SS. */
export function readLut(item: DataSet, descriptorTag: string, dataTag: string, signedFirst: boolean): LookupTable | undefined {
  const desc = item.elements[descriptorTag];
  const data = item.elements[dataTag];
  if (!desc || desc.length < 6 || !data) return undefined;
  const entries = item.uint16(descriptorTag, 0) || 65536;
  const firstMapped = (signedFirst ? item.int16(descriptorTag, 1) : item.uint16(descriptorTag, 1)) ?? 0;
  let bits = item.uint16(descriptorTag, 2) ?? 16;
  const bytes = item.byteArray.subarray(data.dataOffset, data.dataOffset + data.length);
  let table: Uint8Array | Uint16Array;
  if (data.length >= entries * 2) {
    table = new Uint16Array(entries);
    const littleEndian = item.byteArrayParser.readUint16(new Uint8Array([1, 0]), 0) === 1;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < entries; i++) table[i] = view.getUint16(2 * i, littleEndian);
    // Descriptors that claim 8 bits but hold 16-bit entries: trust the data.
    if (bits === 8 && table.some((v) => v > 255)) bits = 16;
  } else if (data.length >= entries) {
    table = bytes.slice(0, entries);
    bits = Math.min(bits, 8);
  } else {
    return undefined;
  }
  const explanation = str(item, 'x00283003');
  return explanation ? { firstMapped, bits, data: table, explanation } : { firstMapped, bits, data: table };
}

export function modalityTransform(ds: DataSet, frame: number, pm: PixelModule): ModalityTransform {
  const seq = ds.elements.x00283000?.items?.[0]?.dataSet;
  if (seq) {
    const lut = readLut(seq, 'x00283002', 'x00283006', pm.pixelRepresentation === 1);
    if (lut) {
      const type = str(seq, 'x00283004');
      return type ? { kind: 'lut', lut, type } : { kind: 'lut', lut };
    }
  }
  const s = scope(ds, frame, 'x00289145', 'x00281053');
  const i = scope(ds, frame, 'x00289145', 'x00281052');
  const slope = (s && num(s, 'x00281053')) ?? 1;
  const intercept = (i && num(i, 'x00281052')) ?? 0;
  const type = str(ds, 'x00281054');
  return { kind: 'rescale', slope: slope === 0 ? 1 : slope, intercept, ...(type ? { type } : {}) };
}

export function windows(ds: DataSet, frame: number): WindowSetting[] {
  const c = scope(ds, frame, 'x00289132', 'x00281050');
  const w = scope(ds, frame, 'x00289132', 'x00281051');
  if (!c || !w) return [];
  const centers = nums(c, 'x00281050') ?? [];
  const widths = nums(w, 'x00281051') ?? [];
  const fnScope = scope(ds, frame, 'x00289132', 'x00281056');
  const fnName = fnScope ? str(fnScope, 'x00281056')?.toUpperCase() : undefined;
  const fn: VoiFunction = fnName === 'SIGMOID' ? 'SIGMOID' : fnName === 'LINEAR_EXACT' ? 'LINEAR_EXACT' : 'LINEAR';
  const out: WindowSetting[] = [];
  for (let k = 0; k < Math.min(centers.length, widths.length); k++) {
    const width = widths[k]!;
    if (!(width > 0)) continue;
    const explanation = str(c, 'x00281055', k);
    out.push({ center: centers[k]!, width, function: fn, ...(explanation ? { explanation } : {}) });
  }
  return out;
}

export function voiLut(ds: DataSet, pm: PixelModule): LookupTable | undefined {
  const item = ds.elements.x00283010?.items?.[0]?.dataSet;
  return item ? readLut(item, 'x00283002', 'x00283006', pm.pixelRepresentation === 1) : undefined;
}

export function invertFlag(ds: DataSet, pm: PixelModule): boolean {
  const shape = str(ds, 'x20500020')?.toUpperCase();
  if (shape === 'INVERSE') return pm.photometric !== 'MONOCHROME1';
  if (shape === 'IDENTITY') return pm.photometric === 'MONOCHROME1';
  return pm.photometric === 'MONOCHROME1';
}

export function padding(ds: DataSet, pm: PixelModule): { from: number; to: number } | undefined {
  const signed = pm.pixelRepresentation === 1;
  const value = us(ds, 'x00280120', signed);
  if (value === undefined) return undefined;
  const limit = us(ds, 'x00280121', signed);
  return limit === undefined ? { from: value, to: value } : { from: Math.min(value, limit), to: Math.max(value, limit) };
}

export function pixelSpacing(ds: DataSet, frame: number): PixelSpacing | undefined {
  const s = scope(ds, frame, 'x00289110', 'x00280030');
  const ps = s && nums(s, 'x00280030');
  if (ps && ps.length >= 2 && ps[0]! > 0 && ps[1]! > 0) return { row: ps[0]!, column: ps[1]!, source: 'PixelSpacing' };
  const ips = nums(ds, 'x00181164');
  if (ips && ips.length >= 2 && ips[0]! > 0 && ips[1]! > 0) return { row: ips[0]!, column: ips[1]!, source: 'ImagerPixelSpacing' };
  return undefined;
}

export function geometry(ds: DataSet, frame: number): { position?: [number, number, number]; orientation?: [number, number, number, number, number, number] } {
  const p = scope(ds, frame, 'x00209113', 'x00200032');
  const o = scope(ds, frame, 'x00209116', 'x00200037');
  const pos = p && nums(p, 'x00200032');
  const ori = o && nums(o, 'x00200037');
  const out: { position?: [number, number, number]; orientation?: [number, number, number, number, number, number] } = {};
  if (pos && pos.length === 3) out.position = pos as [number, number, number];
  if (ori && ori.length === 6) out.orientation = ori as [number, number, number, number, number, number];
  return out;
}

/** Segmented palette data (PS3.3 C.7.9.2): discrete, linear and indirect segments of 16-bit words. */
export function readSegmentedLut(ds: DataSet, descriptorTag: string, dataTag: string): LookupTable | undefined {
  const desc = ds.elements[descriptorTag];
  const data = ds.elements[dataTag];
  if (!desc || desc.length < 6 || !data || data.length < 2) return undefined;
  const entries = ds.uint16(descriptorTag, 0) || 65536;
  const firstMapped = ds.uint16(descriptorTag, 1) ?? 0;
  const bits = ds.uint16(descriptorTag, 2) ?? 16;
  const words: number[] = [];
  for (let i = 0; i < data.length / 2; i++) words.push(ds.uint16(dataTag, i) ?? 0);
  const out: number[] = [];
  const expandSegments = (from: number, to: number, depth: number) => {
    let i = from;
    while (i + 1 < to && out.length < entries) {
      const op = words[i]!;
      const n = words[i + 1]!;
      if (op === 0) {
        for (let k = 0; k < n; k++) out.push(words[i + 2 + k] ?? 0);
        i += 2 + n;
      } else if (op === 1) {
        const y0 = out.length ? out[out.length - 1]! : 0;
        const y1 = words[i + 2] ?? 0;
        for (let k = 1; k <= n; k++) out.push(Math.round(y0 + ((y1 - y0) * k) / n));
        i += 3;
      } else if (op === 2 && depth < 2) {
        const offset = (words[i + 2] ?? 0) | ((words[i + 3] ?? 0) << 16);
        // n segments copied from the segment at `offset` (in words)
        let j = offset;
        for (let k = 0; k < n && j < words.length; k++) {
          const start = j;
          const len = words[j] === 0 ? 2 + (words[j + 1] ?? 0) : words[j] === 1 ? 3 : 4;
          expandSegments(start, start + len, depth + 1);
          j += len;
        }
        i += 4;
      } else {
        return;
      }
    }
  };
  expandSegments(0, words.length, 0);
  const table = new Uint16Array(entries);
  for (let k = 0; k < entries; k++) table[k] = out[Math.min(k, out.length - 1)] ?? 0;
  return { firstMapped, bits, data: table };
}

export function palette(ds: DataSet): PaletteLut {
  const segmented = has(ds, 'x00281221');
  const read = (d: string, plain: string, seg: string) => (segmented ? readSegmentedLut(ds, d, seg) : readLut(ds, d, plain, false));
  const red = read('x00281101', 'x00281201', 'x00281221');
  const green = read('x00281102', 'x00281202', 'x00281222');
  const blue = read('x00281103', 'x00281203', 'x00281223');
  if (!red || !green || !blue) {
    throw imagingError(ImagingErrorCode.DICOM_MISSING_ATTRIBUTE, 'A PALETTE COLOR image lacks its Red/Green/Blue Palette Color Lookup Table (0028,1101–1203).', {
      tag: 'Palette Color Lookup Table (0028,1101–1203)',
      name: 'PaletteColorLookupTable',
    });
  }
  return { red, green, blue };
}
