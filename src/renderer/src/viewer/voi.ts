/**
 * Window/level (VOI LUT) maths on full-precision values, DICOM PS3.3 C.11.2.1.2.1 LINEAR, plus the
 * presets and the OHIF drag convention. Integer frames get one lookup table per window change, so
 * a drag costs one table lookup per displayed pixel.
 */
import type { FrameData, WindowLevel } from './types';

/** Bounds where LINEAR reaches 0 and 255 (the −0.5 and w−1 terms are the standard's). */
export function windowBounds({ center: c, width: w }: WindowLevel): { lo: number; hi: number } {
  const ww = Math.max(1, w);
  return { lo: c - 0.5 - (ww - 1) / 2, hi: c - 0.5 + (ww - 1) / 2 };
}

/** DICOM LINEAR VOI to an 8-bit grey level. */
export function voiLinear(x: number, win: WindowLevel): number {
  const { lo, hi } = windowBounds(win);
  if (x <= lo) return 0;
  if (x > hi) return 255;
  const ww = Math.max(1, win.width);
  if (ww <= 1) return 255;
  return Math.round(((x - (win.center - 0.5)) / (ww - 1) + 0.5) * 255);
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

export function defaultWindow(f: FrameData, stats: FrameStats): WindowLevel {
  const w = f.windows[0];
  if (w && w.width > 0) return { center: w.center, width: w.width };
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
  return { width: Math.max(1, start.width + dx * m), center: start.center + dy * m };
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
  const { lo, hi } = windowBounds(win);
  const ww = Math.max(1, win.width);
  const c0 = win.center - 0.5;
  for (let i = 0; i < size; i++) {
    const s = i + offset;
    let g: number;
    if (f.padding && s >= f.padding.from && s <= f.padding.to) {
      g = invert ? 255 : 0;
    } else {
      const x = s * f.slope + f.intercept;
      g = x <= lo ? 0 : x > hi ? 255 : ww <= 1 ? 255 : Math.round(((x - c0) / (ww - 1) + 0.5) * 255);
    }
    if (invert) g = 255 - g;
    lut[i] = 0xff000000 | (g << 16) | (g << 8) | g;
  }
  return { lut, offset };
}
