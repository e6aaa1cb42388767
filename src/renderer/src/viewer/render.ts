/**
 * Windowing at display resolution: every screen pixel looks up its image pixel (nearest) in the
 * full-precision frame and maps it through the display chain (modality, VOI function or table,
 * inversion) of voi.ts. Work is proportional to the viewport, not
 * to the image, so dragging W/L on a 2048² 16-bit frame costs about one lookup per screen pixel.
 */
import { buildGreyLut, greyMapper, realOf } from './voi';
import type { FrameData, WindowLevel } from './types';
import type { Viewport } from './viewport';

export interface LutCache {
  key?: string;
  frame?: FrameData;
  lut?: { lut: Uint32Array; offset: number } | undefined;
}

/** Screen column/row → index into the stored data (a preview holds every `step`-th pixel), −1 outside. */
function indexMap(n: number, offset: number, scale: number, limit: number, step: number): Int32Array {
  const idx = new Int32Array(n);
  for (let s = 0; s < n; s++) {
    const i = Math.floor((s + 0.5 - offset) / scale);
    idx[s] = i >= 0 && i < limit ? Math.floor(i / step) : -1;
  }
  return idx;
}

/** Writes the windowed view into `out` (RGBA, little-endian words); outside the image stays transparent. */
export function renderFrame(f: FrameData, win: WindowLevel, invert: boolean, vp: Viewport, out: Uint32Array, outW: number, outH: number, cache: LutCache = {}): void {
  out.fill(0);
  const step = f.step ?? 1;
  const rowLength = Math.ceil(f.width / step);
  const cols = indexMap(outW, vp.x, vp.scale, f.width, step);
  const rows = indexMap(outH, vp.y, vp.scale, f.height, step);
  let x0 = 0;
  while (x0 < outW && cols[x0]! < 0) x0++;
  let x1 = outW;
  while (x1 > x0 && cols[x1 - 1]! < 0) x1--;
  const key = `${win.center}|${win.width}|${win.function ?? 'LINEAR'}|${invert}|${f.dtype}|${f.slope}|${f.intercept}`;
  // The frame itself is part of the key: its tables (Modality, VOI LUT) and padding are folded in.
  if (cache.key !== key || cache.frame !== f) {
    cache.key = key;
    cache.frame = f;
    cache.lut = f.channels === 1 ? buildGreyLut(f, win, invert) : undefined;
  }
  const d = f.data;
  if (f.channels === 1 && cache.lut) {
    const { lut, offset } = cache.lut;
    for (let sy = 0; sy < outH; sy++) {
      const iy = rows[sy]!;
      if (iy < 0) continue;
      // Zoomed in, neighbouring screen rows show the same image row: copy instead of looking up.
      if (sy > 0 && rows[sy - 1] === iy) {
        out.copyWithin(sy * outW + x0, (sy - 1) * outW + x0, (sy - 1) * outW + x1);
        continue;
      }
      const base = iy * rowLength;
      let o = sy * outW + x0;
      for (let sx = x0; sx < x1; sx++, o++) out[o] = lut[d[base + cols[sx]!]! - offset]!;
    }
    return;
  }
  const grey = greyMapper(f, win, invert);
  const ch = f.channels;
  for (let sy = 0; sy < outH; sy++) {
    const iy = rows[sy]!;
    if (iy < 0) continue;
    const base = iy * rowLength;
    let o = sy * outW + x0;
    for (let sx = x0; sx < x1; sx++, o++) {
      const p = base + cols[sx]!;
      if (ch === 1) {
        const g = grey(d[p]!);
        out[o] = 0xff000000 | (g << 16) | (g << 8) | g;
      } else {
        const q = p * 3;
        out[o] = 0xff000000 | (grey(d[q + 2]!) << 16) | (grey(d[q + 1]!) << 8) | grey(d[q]!);
      }
    }
  }
}

/** The real value under an image pixel, for the readout; none while a preview stands in for the frame. */
export function realValueAt(f: FrameData, ix: number, iy: number): number | undefined {
  const x = Math.floor(ix);
  const y = Math.floor(iy);
  if (x < 0 || y < 0 || x >= f.width || y >= f.height || f.channels !== 1 || f.step) return undefined;
  return realOf(f)(f.data[y * f.width + x]!);
}
