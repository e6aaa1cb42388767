/**
 * Views of a frame for consumers that do not care about DICOM: real values as Float32 (model
 * input, HU readouts), interleaved 8-bit RGB (colour models, thumbnails), statistics that leave out
 * padding, and the default display window.
 */
import type { Frame } from './types';
import { modalityValue, voiLutValue, voiValue, windowFromRange } from './lut';
import type { WindowSetting } from './types';

/** Real-valued pixels after the modality LUT (HU for CT); colour frames give their samples as is. */
export function realValues(frame: Frame): Float32Array {
  const s = frame.stored;
  const out = new Float32Array(s.length);
  const m = frame.modality;
  if (frame.channels === 1 && m.kind === 'rescale') {
    const { slope, intercept } = m;
    for (let i = 0; i < s.length; i++) out[i] = s[i]! * slope + intercept;
  } else if (frame.channels === 1) {
    for (let i = 0; i < s.length; i++) out[i] = modalityValue(m, s[i]!);
  } else {
    for (let i = 0; i < s.length; i++) out[i] = s[i]!;
  }
  return out;
}

export function isPadding(frame: Frame, stored: number): boolean {
  return !!frame.padding && stored >= frame.padding.from && stored <= frame.padding.to;
}

/** Min and max of real values, padding excluded (NaN when every pixel is padding). */
export function realRange(frame: Frame): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  const s = frame.stored;
  const pad = frame.padding;
  if (frame.channels === 1 && frame.modality.kind === 'rescale') {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < s.length; i++) {
      const v = s[i]!;
      if (pad && v >= pad.from && v <= pad.to) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (lo === Infinity) return { min: NaN, max: NaN };
    const a = lo * frame.modality.slope + frame.modality.intercept;
    const b = hi * frame.modality.slope + frame.modality.intercept;
    return { min: Math.min(a, b), max: Math.max(a, b) };
  }
  for (let i = 0; i < s.length; i++) {
    const v = s[i]!;
    if (pad && v >= pad.from && v <= pad.to) continue;
    const r = frame.channels === 1 ? modalityValue(frame.modality, v) : v;
    if (r < min) min = r;
    if (r > max) max = r;
  }
  return min === Infinity ? { min: NaN, max: NaN } : { min, max };
}

/** The file's first window, else the VOI LUT (signalled by undefined), else padding-free min–max. */
export function defaultWindow(frame: Frame): WindowSetting {
  if (frame.windows[0]) return frame.windows[0];
  if (frame.channels === 3) return { center: 127.5, width: 256, function: 'LINEAR_EXACT', explanation: 'full 8-bit range' };
  const { min, max } = realRange(frame);
  return Number.isFinite(min) ? windowFromRange(min, max) : windowFromRange(0, 1);
}

function ybrToRgb(y: number, cb: number, cr: number, out: Uint8Array, o: number): void {
  // PS3.3 C.7.6.3.1.2 YBR_FULL (ITU-R BT.601 full range)
  const r = y + 1.402 * (cr - 128);
  const g = y - 0.344136 * (cb - 128) - 0.714136 * (cr - 128);
  const b = y + 1.772 * (cb - 128);
  out[o] = r < 0 ? 0 : r > 255 ? 255 : Math.round(r);
  out[o + 1] = g < 0 ? 0 : g > 255 ? 255 : Math.round(g);
  out[o + 2] = b < 0 ? 0 : b > 255 ? 255 : Math.round(b);
}

/**
 * Interleaved 8-bit RGB for display or colour models: YBR converted, palette applied, 16-bit
 * colour scaled down; greyscale frames go through `window` (default window if omitted) and
 * inversion, so a MONOCHROME1 radiograph comes out with bone white.
 */
export function toRgb8(frame: Frame, window?: WindowSetting): Uint8Array {
  const n = frame.width * frame.height;
  const out = new Uint8Array(n * 3);
  const s = frame.stored;
  if (frame.channels === 3) {
    const shift = Math.max(0, frame.bitsStored - 8);
    if (frame.photometric === 'YBR_FULL') {
      for (let p = 0; p < n; p++) ybrToRgb(s[3 * p]! >> shift, s[3 * p + 1]! >> shift, s[3 * p + 2]! >> shift, out, 3 * p);
    } else {
      for (let i = 0; i < 3 * n; i++) out[i] = s[i]! >> shift;
    }
    return out;
  }
  if (frame.photometric === 'PALETTE COLOR' && frame.palette) {
    const { red, green, blue } = frame.palette;
    const sh = (bits: number) => Math.max(0, bits - 8);
    for (let p = 0; p < n; p++) {
      const v = s[p]!;
      out[3 * p] = lookupRaw(red, v) >> sh(red.bits);
      out[3 * p + 1] = lookupRaw(green, v) >> sh(green.bits);
      out[3 * p + 2] = lookupRaw(blue, v) >> sh(blue.bits);
    }
    return out;
  }
  const grey = toGrey8(frame, window);
  for (let p = 0; p < n; p++) out[3 * p] = out[3 * p + 1] = out[3 * p + 2] = grey[p]!;
  return out;
}

function lookupRaw(lut: { firstMapped: number; data: ArrayLike<number> }, v: number): number {
  const i = v - lut.firstMapped;
  return lut.data[i < 0 ? 0 : i >= lut.data.length ? lut.data.length - 1 : i]!;
}

/** Greyscale display values 0–255: modality LUT → VOI (window or VOI LUT) → inversion; padding black. */
export function toGrey8(frame: Frame, window?: WindowSetting): Uint8Array {
  const n = frame.width * frame.height;
  const out = new Uint8Array(n);
  const s = frame.stored;
  const useTable = !window && !frame.windows[0] && frame.voiLut;
  const w = window ?? defaultWindow(frame);
  for (let p = 0; p < n; p++) {
    const v = s[p]!;
    if (isPadding(frame, v)) {
      out[p] = 0;
      continue;
    }
    const x = modalityValue(frame.modality, v);
    const y = useTable ? voiLutValue(frame.voiLut!, x) : voiValue(w, x);
    out[p] = Math.round(frame.invert ? 255 - y : y);
  }
  return out;
}
