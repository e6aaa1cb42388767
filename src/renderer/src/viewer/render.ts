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

/**
 * What a pane's buffer holds and the grey table it was drawn with. A pan moves the pixels already
 * windowed instead of windowing the whole view again (see `renderView`).
 */
export interface LutCache {
  key?: string;
  lut?: GreyLut;
  drawn?: { frame: FrameData; key: string; vp: Viewport; w: number; h: number };
}

function lutFor(f: FrameData, key: string, win: WindowLevel, invert: boolean, cache: LutCache): GreyLut {
  if (cache.key !== key) {
    cache.key = key;
    cache.lut = f.channels !== 1 ? undefined : prepared.has(key) ? prepared.get(key) : buildGreyLut(f, win, invert);
  }
  return cache.lut;
}

/** Windows the screen rectangle [rx0, rx1) × [ry0, ry1) of the view into `out`; outside the image stays transparent. */
function windowRegion(f: FrameData, win: WindowLevel, invert: boolean, lut: GreyLut, vp: Viewport, out: Uint32Array, outW: number, outH: number, rx0: number, rx1: number, ry0: number, ry1: number): void {
  for (let sy = ry0; sy < ry1; sy++) out.fill(0, sy * outW + rx0, sy * outW + rx1);
  const step = f.step ?? 1;
  const rowLength = Math.ceil(f.width / step);
  const cols = indexMap(outW, vp.x, vp.scale, f.width, step);
  const rows = indexMap(outH, vp.y, vp.scale, f.height, step);
  let x0 = rx0;
  while (x0 < rx1 && cols[x0]! < 0) x0++;
  let x1 = rx1;
  while (x1 > x0 && cols[x1 - 1]! < 0) x1--;
  const d = f.data;
  if (f.channels === 1 && lut) {
    const { lut: table, offset } = lut;
    for (let sy = ry0; sy < ry1; sy++) {
      const iy = rows[sy]!;
      if (iy < 0) continue;
      // Zoomed in, neighbouring screen rows show the same image row: copy instead of looking up.
      if (sy > ry0 && rows[sy - 1] === iy) {
        out.copyWithin(sy * outW + x0, (sy - 1) * outW + x0, (sy - 1) * outW + x1);
        continue;
      }
      const base = iy * rowLength;
      let o = sy * outW + x0;
      for (let sx = x0; sx < x1; sx++, o++) out[o] = table[d[base + cols[sx]!]! - offset]!;
    }
    return;
  }
  const grey = greyMapper(f, win, invert);
  const ch = f.channels;
  for (let sy = ry0; sy < ry1; sy++) {
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

/** Writes the windowed view into `out` (RGBA, little-endian words); outside the image stays transparent. */
export function renderFrame(f: FrameData, win: WindowLevel, invert: boolean, vp: Viewport, out: Uint32Array, outW: number, outH: number, cache: LutCache = {}): void {
  const key = lutKey(f, win, invert);
  windowRegion(f, win, invert, lutFor(f, key, win, invert, cache), vp, out, outW, outH, 0, outW, 0, outH);
  cache.drawn = { frame: f, key, vp, w: outW, h: outH };
}

/** Whole screen pixels the view moved by since it was drawn, or undefined when it changed otherwise. */
function translationSince(drawn: LutCache['drawn'], f: FrameData, key: string, vp: Viewport, outW: number, outH: number): { dx: number; dy: number } | undefined {
  if (!drawn || drawn.frame !== f || drawn.key !== key || drawn.w !== outW || drawn.h !== outH || drawn.vp.scale !== vp.scale) return undefined;
  // A pan gesture's views are start + delta, so their differences are whole pixels up to rounding.
  const dx = Math.round(vp.x - drawn.vp.x);
  const dy = Math.round(vp.y - drawn.vp.y);
  if (Math.abs(vp.x - drawn.vp.x - dx) > 1e-6 || Math.abs(vp.y - drawn.vp.y - dy) > 1e-6) return undefined;
  if (Math.abs(dx) >= outW || Math.abs(dy) >= outH) return undefined;
  return { dx, dy };
}

/**
 * `renderFrame`, but a view that only moved by whole screen pixels since the buffer was drawn
 * (a pan) keeps the pixels already windowed: they are shifted and only the strips that came
 * into view are windowed. Screen pixel s shows image pixel floor((s + 0.5 − x) / scale), so
 * moving x by a whole dx moves every screen pixel's source by exactly dx. Returns whether it
 * took the shortcut.
 */
export function renderView(f: FrameData, win: WindowLevel, invert: boolean, vp: Viewport, out: Uint32Array, outW: number, outH: number, cache: LutCache): boolean {
  const key = lutKey(f, win, invert);
  const moved = translationSince(cache.drawn, f, key, vp, outW, outH);
  if (!moved) {
    renderFrame(f, win, invert, vp, out, outW, outH, cache);
    return false;
  }
  const { dx, dy } = moved;
  const lut = lutFor(f, key, win, invert, cache);
  // Rows move as whole blocks; within a row the kept span moves by dx. Order avoids overwriting sources.
  const keepW = outW - Math.abs(dx);
  const srcX = Math.max(0, -dx);
  const dstX = Math.max(0, dx);
  const rowOrder = dy > 0 ? { from: outH - 1, to: dy - 1, by: -1 } : { from: 0, to: outH + dy, by: 1 };
  for (let sy = rowOrder.from; sy !== rowOrder.to; sy += rowOrder.by) {
    const src = (sy - dy) * outW + srcX;
    out.copyWithin(sy * outW + dstX, src, src + keepW);
  }
  // Newly exposed: whole rows at the top or bottom, then a column strip on the rows kept.
  const [ky0, ky1] = dy >= 0 ? [dy, outH] : [0, outH + dy];
  if (dy > 0) windowRegion(f, win, invert, lut, vp, out, outW, outH, 0, outW, 0, dy);
  if (dy < 0) windowRegion(f, win, invert, lut, vp, out, outW, outH, 0, outW, outH + dy, outH);
  if (dx > 0) windowRegion(f, win, invert, lut, vp, out, outW, outH, 0, dx, ky0, ky1);
  if (dx < 0) windowRegion(f, win, invert, lut, vp, out, outW, outH, outW + dx, outW, ky0, ky1);
  cache.drawn = { frame: f, key, vp, w: outW, h: outH };
  return true;
}

/** The real value under an image pixel, for the readout; none while a preview stands in for the frame. */
export function realValueAt(f: FrameData, ix: number, iy: number): number | undefined {
  const x = Math.floor(ix);
  const y = Math.floor(iy);
  if (x < 0 || y < 0 || x >= f.width || y >= f.height || f.channels !== 1 || f.step) return undefined;
  return realOf(f)(f.data[y * f.width + x]!);
}
