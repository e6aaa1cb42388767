/**
 * Windowing at display resolution: every screen pixel looks up its image pixel (nearest) in the
 * full-precision frame and maps it through the display chain (modality, VOI function or table,
 * inversion) of voi.ts. Work is proportional to the viewport, not
 * to the image, so dragging W/L on a 2048² 16-bit frame costs about one lookup per screen pixel.
 */
import { buildGreyLut, greyMapper, realOf } from './voi';
import type { FrameData, WindowLevel } from './types';
import type { Viewport } from './viewport';

type GreyLut = { lut: Uint32Array; offset: number } | undefined;

export interface LutCache {
  key?: string;
  lut?: GreyLut;
}

// Tables count by identity: a preview and its full frame share them (one table, one key).
const tableIds = new WeakMap<object, number>();
let tablesSeen = 0;
const idOf = (t: object | undefined) => {
  if (!t) return 0;
  let id = tableIds.get(t);
  if (!id) tableIds.set(t, (id = ++tablesSeen));
  return id;
};

/** Everything a grey table depends on: the window, inversion and the frame's display chain (not its pixels). */
function lutKey(f: FrameData, win: WindowLevel, invert: boolean): string {
  return `${win.center}|${win.width}|${win.function ?? 'LINEAR'}|${invert}|${f.dtype}|${f.channels}|${f.slope}|${f.intercept}|${f.padding?.from}|${f.padding?.to}|${idOf(f.modalityLut)}|${idOf(f.voiLut)}`;
}

/** Tables built ahead of a frame's pixels (while they are fetched), for its first windowing. */
const prepared = new Map<string, GreyLut>();

/** Builds the grey table a frame will first be drawn with, before its pixels are here. */
export function prepareGreyLut(f: FrameData, win: WindowLevel, invert: boolean): void {
  if (f.channels !== 1) return;
  const key = lutKey(f, win, invert);
  if (prepared.has(key)) return;
  prepared.set(key, buildGreyLut(f, win, invert));
  // A few cases' worth: these are 256 KiB each.
  if (prepared.size > 4) prepared.delete(prepared.keys().next().value!);
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

/**
 * Runs the windowing loop once on a small blank frame of the same kind, so the first real frame
 * meets optimised code instead of a cold interpreter (first windowing of the bench frame 14 → 8 ms
 * in a profile, for ~3 ms spent while the bytes are fetched).
 */
export function warmRenderFrame(f: FrameData, win: WindowLevel, invert: boolean): void {
  const n = 256;
  const Ctor = f.data.constructor as new (n: number) => FrameData['data'];
  const out = new Uint32Array(n * n);
  renderFrame({ ...f, data: new Ctor(n * n * f.channels), width: n, height: n, step: undefined }, win, invert, { scale: 1, x: 0, y: 0 }, out, n, n);
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
  const key = lutKey(f, win, invert);
  if (cache.key !== key) {
    cache.key = key;
    cache.lut = f.channels !== 1 ? undefined : prepared.has(key) ? prepared.get(key) : buildGreyLut(f, win, invert);
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
