/**
 * A frame as the renderer receives it: JSON metadata plus raw little-endian pixel bytes to publish
 * in the media store. Greyscale frames go as stored values with their rescale, so 16-bit data is
 * windowed at full precision in the renderer; colour (RGB, YBR, palette) goes as 8-bit RGB. The
 * tables of PS3.3 C.11 (Modality LUT, VOI LUT) go along as JSON arrays, so the renderer applies
 * exactly what `toGrey8` does; a table-based modality keeps stored values (and its padding).
 */
import type { Frame, FrameHeader, LookupTable, PixelDType, WindowSetting } from './types';
import { defaultWindow, realRange, toRgb8 } from './pixels';
import { storedBytesLE } from './hash';
import { windowFromRange } from './lut';

export interface DisplayFrameInfo {
  index: number;
  width: number;
  height: number;
  channels: 1 | 3;
  dtype: PixelDType;
  bitsStored: number;
  photometric: string;
  slope: number;
  intercept: number;
  invert: boolean;
  /** The file's windows (or a derived default); the first is the default. */
  windows: { center: number; width: number; function: string; explanation?: string }[];
  padding?: { from: number; to: number };
  /** Real = table[stored] (slope 1, intercept 0 then). */
  modalityLut?: LookupTableJson;
  /** `default`: the file has no window, so the table, not windows[0], is its display. */
  voiLut?: LookupTableJson & { default: boolean };
  unit?: string;
  pixelSpacing: { row: number; column: number; source: string } | null;
  /** Real values, padding excluded. */
  min: number;
  max: number;
  contentType: string;
  /** Image Position / Orientation (Patient), for slice position and orientation markers. */
  position?: [number, number, number];
  orientation?: [number, number, number, number, number, number];
  /** Corner-annotation attributes (DICOM). */
  header?: FrameHeader;
}

export interface LookupTableJson {
  firstMapped: number;
  bits: number;
  data: number[];
  explanation?: string;
}

function tableJson(t: LookupTable): LookupTableJson {
  return { firstMapped: t.firstMapped, bits: t.bits, data: Array.from(t.data), ...(t.explanation ? { explanation: t.explanation } : {}) };
}

export interface DisplayFrame {
  info: DisplayFrameInfo;
  bytes: Uint8Array;
}

function windowsOf(f: Frame): WindowSetting[] {
  if (f.windows.length) return f.windows;
  if (f.voiLut) {
    // The linear window over the table's input range: where a W/L drag on the table starts.
    const lo = f.voiLut.firstMapped;
    return [{ ...windowFromRange(lo, lo + f.voiLut.data.length - 1, 'VOI LUT range'), function: 'LINEAR' }];
  }
  return [defaultWindow(f)];
}

export function contentType(dtype: PixelDType, width: number, height: number, channels: number): string {
  return `application/x-inspector-pixels; dtype=${dtype}; width=${width}; height=${height}; channels=${channels}`;
}

export function displayFrame(f: Frame, unit?: string): DisplayFrame {
  const colour = f.channels === 3 || f.photometric === 'PALETTE COLOR';
  const lutModality = !colour && f.modality.kind === 'lut';
  const dtype: PixelDType = colour ? 'uint8' : f.dtype;
  const channels: 1 | 3 = colour ? 3 : 1;
  const bytes = colour ? toRgb8(f) : storedBytesLE(f.stored).slice();
  const { min, max } = colour ? { min: 0, max: 255 } : realRange(f);
  const rescale = f.modality.kind === 'rescale' && !colour ? f.modality : { slope: 1, intercept: 0 };
  const info: DisplayFrameInfo = {
    index: f.index,
    width: f.width,
    height: f.height,
    channels,
    dtype,
    bitsStored: colour ? 8 : f.bitsStored,
    photometric: colour ? 'RGB' : f.photometric,
    slope: rescale.slope,
    intercept: rescale.intercept,
    invert: f.invert,
    windows: colour ? [{ center: 127.5, width: 256, function: 'LINEAR_EXACT' }] : windowsOf(f).map((w) => ({ ...w })),
    pixelSpacing: f.pixelSpacing ? { ...f.pixelSpacing } : null,
    min: Number.isFinite(min) ? min : 0,
    max: Number.isFinite(max) ? max : 0,
    contentType: contentType(dtype, f.width, f.height, channels),
  };
  if (f.padding && !colour) info.padding = { ...f.padding };
  if (lutModality && f.modality.kind === 'lut') info.modalityLut = tableJson(f.modality.lut);
  if (!colour && f.voiLut) info.voiLut = { ...tableJson(f.voiLut), default: f.windows.length === 0 };
  if (unit) info.unit = unit;
  if (f.position) info.position = [...f.position];
  if (f.orientation) info.orientation = [...f.orientation];
  if (f.header) info.header = { ...f.header };
  return { info, bytes };
}
