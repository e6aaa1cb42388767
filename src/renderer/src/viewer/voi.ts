/**
 * Window/level (VOI) maths on full-precision values, exactly as DICOM PS3.3 C.11.2.1.2/3 and the
 * core's `toGrey8` (src/core/imaging/lut.ts, pixels.ts) compute them: modality rescale or Modality
 * LUT, then LINEAR (with its −0.5 and w−1 terms), LINEAR_EXACT, SIGMOID or the VOI LUT table, then
 * inversion, rounded once at the end. The renderer may not import the core, so the formulas are
 * repeated here term for term and a unit test holds them identical on every stored value.
 * Plus the presets and the OHIF drag convention. Integer frames get one lookup table per window
 * change, so a drag costs one table lookup per displayed pixel.
 */
import type { FrameData, LookupTable, VoiFunction, WindowLevel } from './types';

/** Bounds where LINEAR reaches 0 and 255 (the −0.5 and w−1 terms are the standard's). */
export function windowBounds({ center: c, width: w }: WindowLevel): { lo: number; hi: number } {
  const ww = Math.max(1, w);
  return { lo: c - 0.5 - (ww - 1) / 2, hi: c - 0.5 + (ww - 1) / 2 };
}

/** DICOM LINEAR VOI to an 8-bit grey level. */
export function voiLinear(x: number, win: WindowLevel): number {
  return Math.round(voiValue({ center: win.center, width: win.width }, x));
}

/** Table entry for a value; out-of-range values take the first or last entry (core `lookup`). */
export function lookup(lut: LookupTable, x: number): number {
  const i = Math.round(x) - lut.firstMapped;
  const data = lut.data;
  return data[i < 0 ? 0 : i >= data.length ? data.length - 1 : i]!;
}

/** Stored value → real (modality) value: the Modality LUT table when the frame has one, else the rescale. */
export function realOf(f: Pick<FrameData, 'slope' | 'intercept' | 'modalityLut'>): (stored: number) => number {
  const m = f.modalityLut;
  if (m) return (s) => lookup(m, s);
  const { slope, intercept } = f;
  return (s) => s * slope + intercept;
}

/** The active VOI function; VOI_LUT without a table falls back to LINEAR. */
export function voiFunctionOf(win: WindowLevel, f?: Pick<FrameData, 'voiLut'>): VoiFunction {
  const fn = win.function ?? 'LINEAR';
  return fn === 'VOI_LUT' && !f?.voiLut ? 'LINEAR' : fn;
}

/**
 * C.11.2.1.2.1 LINEAR, C.11.2.1.3.2 LINEAR_EXACT, C.11.2.1.3.1 SIGMOID: real value → [0, 255],
 * unrounded (the core rounds after inversion, so rounding here would differ on exact halves).
 */
export function voiValue(win: WindowLevel, x: number): number {
  const c = win.center;
  const width = win.width;
  switch (win.function) {
    case 'SIGMOID':
      return 255 / (1 + Math.exp((-4 * (x - c)) / width)) + 0;
    case 'LINEAR_EXACT':
      if (x <= c - width / 2) return 0;
      if (x > c + width / 2) return 255;
      return ((x - c) / width + 0.5) * 255 + 0;
    default: {
      const wl = Math.max(width, 1);
      if (x <= c - 0.5 - (wl - 1) / 2) return 0;
      if (x > c - 0.5 + (wl - 1) / 2) return 255;
      if (wl === 1) return 255;
      return ((x - (c - 0.5)) / (wl - 1) + 0.5) * 255 + 0;
    }
  }
}

/** A VOI LUT table's output (0 … 2^bits − 1) rescaled to [0, 255], unrounded. */
export function voiLutValue(lut: LookupTable, x: number): number {
  const top = 2 ** lut.bits - 1;
  return (lookup(lut, x) / top) * 255 + 0;
}

/**
 * Stored value → displayed grey level 0–255, the whole chain in the core's order: padding black,
 * modality, VOI (window function or table), inversion, one rounding.
 */
export function greyMapper(f: FrameData, win: WindowLevel, invert: boolean): (stored: number) => number {
  const real = realOf(f);
  const pad = f.channels === 1 ? f.padding : undefined;
  const table = voiFunctionOf(win, f) === 'VOI_LUT' ? f.voiLut : undefined;
  const w: WindowLevel = win.function === 'VOI_LUT' ? { center: win.center, width: win.width } : win;
  return (s) => {
    if (pad && s >= pad.from && s <= pad.to) return 0;
    const x = real(s);
    const y = table ? voiLutValue(table, x) : voiValue(w, x);
    return Math.round(invert ? 255 - y : y);
  };
}

export type PresetId = 'default' | 'soft' | 'lung' | 'bone' | 'minmax' | 'auto';

/**
 * CT presets in HU. Soft tissue and lung as OHIF core (W400/L40, W1500/L−600); bone W2000/L300
 * as in the product brief (OHIF's own file once had bone and brain swapped, so these are data).
 */
export const CT_PRESETS: Record<'soft' | 'lung' | 'bone', WindowLevel> = {
  soft: { width: 400, center: 40 },
  lung: { width: 1500, center: -600 },
  bone: { width: 2000, center: 300 },
};

export const PRESET_ORDER: PresetId[] = ['soft', 'lung', 'bone', 'minmax', 'auto', 'default'];

export interface FrameStats {
  /** Real-value range, padding excluded. */
  min: number;
  max: number;
  /** 0.5th and 99.5th percentiles of real values: the "auto" window for photos and radiographs. */
  p005: number;
  p995: number;
}

const isPadding = (v: number, f: FrameData) => f.padding !== undefined && v >= f.padding.from && v <= f.padding.to;

/** Min/max from the host when it sent them; percentiles (for "auto") only when asked. */
export function frameStats(f: FrameData): FrameStats {
  if (f.range) {
    const r = f.range;
    let p: { p005: number; p995: number } | undefined;
    const lazy = () => (p ??= fullStats(f));
    return {
      min: r.min,
      max: r.max,
      get p005() {
        return lazy().p005;
      },
      get p995() {
        return lazy().p995;
      },
    };
  }
  return fullStats(f);
}

function fullStats(f: FrameData): FrameStats {
  // With a Modality LUT the table need not be monotonic: take statistics of the real values.
  if (f.modalityLut) {
    const real = realOf(f);
    const values: number[] = [];
    for (let i = 0; i < f.data.length; i++) if (!isPadding(f.data[i]!, f)) values.push(real(f.data[i]!));
    const { modalityLut: _m, padding: _p, ...rest } = f;
    return fullStats({ ...rest, data: Float64Array.from(values), dtype: 'float64', slope: 1, intercept: 0 });
  }
  const d = f.data;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < d.length; i++) {
    const v = d[i]!;
    if (isPadding(v, f)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min === Infinity) min = max = 0;
  // Percentiles from a 4096-bin histogram: exact enough for a display window, one pass.
  const bins = new Uint32Array(4096);
  const span = max - min || 1;
  let n = 0;
  for (let i = 0; i < d.length; i++) {
    const v = d[i]!;
    if (isPadding(v, f)) continue;
    bins[Math.min(4095, Math.floor(((v - min) / span) * 4096))]!++;
    n++;
  }
  const at = (q: number) => {
    const target = q * n;
    let acc = 0;
    for (let b = 0; b < 4096; b++) {
      acc += bins[b]!;
      if (acc >= target) return min + (b / 4096) * span;
    }
    return max;
  };
  const real = (s: number) => s * f.slope + f.intercept;
  const [a, b] = f.slope >= 0 ? [min, max] : [max, min];
  const [pa, pb] = f.slope >= 0 ? [at(0.005), at(0.995)] : [at(0.995), at(0.005)];
  return { min: real(a), max: real(b), p005: real(pa), p995: real(pb) };
}

/** low/high → W/L as Cornerstone's windowLevel.ts does. */
export function rangeToWindow(low: number, high: number): WindowLevel {
  return { width: Math.max(1, Math.abs(high - low) + 1), center: (low + high + 1) / 2 };
}

/**
 * The file's display: its VOI LUT table when it has one and no window, else its first window with
 * that window's function, else min–max. A table's centre/width is the linear window over the
 * table's input range, where a drag starts from.
 */
export function defaultWindow(f: FrameData, stats: FrameStats): WindowLevel {
  const w = f.windows[0];
  if (f.voiLut?.default) {
    const lo = f.voiLut.firstMapped;
    const from = w && w.width > 0 ? w : rangeToWindow(lo, lo + f.voiLut.data.length - 1);
    return { center: from.center, width: from.width, function: 'VOI_LUT' };
  }
  if (w && w.width > 0) return { center: w.center, width: w.width, ...(w.function && w.function !== 'LINEAR' ? { function: w.function } : {}) };
  return rangeToWindow(stats.min, stats.max);
}

export function presetWindow(id: PresetId, f: FrameData, stats: FrameStats): WindowLevel {
  switch (id) {
    case 'soft':
    case 'lung':
    case 'bone':
      return { ...CT_PRESETS[id] };
    case 'minmax':
      return rangeToWindow(stats.min, stats.max);
    case 'auto':
      return rangeToWindow(stats.p005, stats.p995);
    case 'default':
      return defaultWindow(f, stats);
  }
}

/**
 * OHIF WindowLevelTool: right widens, down raises the centre (darker); sensitivity scales with the
 * image's dynamic range so an 8-bit photo and a 16-bit CT feel the same under the mouse.
 */
export function dragWindow(start: WindowLevel, dx: number, dy: number, stats: FrameStats): WindowLevel {
  const range = Math.max(1, stats.max - stats.min);
  let m = (4 * range) / 1024;
  if (m > 1) m = Math.round(m);
  // A table has no centre/width: dragging leaves it for the linear window over its range.
  const fn = start.function === 'VOI_LUT' || start.function === 'LINEAR' ? undefined : start.function;
  return { width: Math.max(1, start.width + dx * m), center: start.center + dy * m, ...(fn ? { function: fn } : {}) };
}

const integerDtypes = new Set(['uint8', 'int8', 'uint16', 'int16']);

/**
 * A grey-level lookup over every possible stored value of a ≤16-bit frame (rescale, window and
 * invert folded in), packed as little-endian RGBA words ready for an ImageData's Uint32 view.
 * Returns undefined for 32-bit and float frames, which are windowed per pixel instead.
 */
export function buildGreyLut(f: FrameData, win: WindowLevel, invert: boolean): { lut: Uint32Array; offset: number } | undefined {
  if (!integerDtypes.has(f.dtype)) return undefined;
  const offset = f.dtype === 'int16' ? -32768 : f.dtype === 'int8' ? -128 : 0;
  const size = f.dtype === 'uint16' || f.dtype === 'int16' ? 65536 : 256;
  const lut = new Uint32Array(size);
  const grey = greyMapper(f, win, invert);
  for (let i = 0; i < size; i++) {
    const g = grey(i + offset);
    lut[i] = 0xff000000 | (g << 16) | (g << 8) | g;
  }
  return { lut, offset };
}
