/**
 * Paints a class mask onto a grid covering its `covers` rectangle. Each paint pixel takes the class
 * of the mask cell its centre falls in (nearest, as the engine measured areas and regions on those
 * cells), so class edges stay sharp at any zoom; fills are opaque class colours and the layer's
 * opacity is the node's alpha (a slider move never repaints). Outlines mark the paint pixels
 * whose class differs from a neighbour `lineWidth` away: the region boundary only, inside it.
 */
import type { MaskData } from './types';

export function hexRgb(hex: string): [number, number, number] {
  const m = /^#?([0-9a-f]{6})$/i.exec(hex);
  const v = m ? parseInt(m[1]!, 16) : 0xff00ff;
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

/** Paint grid size: the covered image size (one paint pixel per image pixel) up to `cap` on the long side. */
export function maskPaintSize(mask: Pick<MaskData, 'covers' | 'width' | 'height'>, cap = 2048): { w: number; h: number } {
  const cw = Math.max(mask.width, Math.round(mask.covers.width));
  const ch = Math.max(mask.height, Math.round(mask.covers.height));
  const s = Math.min(1, cap / Math.max(cw, ch));
  return { w: Math.max(1, Math.round(cw * s)), h: Math.max(1, Math.round(ch * s)) };
}

/** The mask cell class of every paint pixel (255 = none or switched off). */
export function cellsOf(mask: MaskData, w: number, h: number, hidden: ReadonlySet<number>): Uint8Array {
  const out = new Uint8Array(w * h);
  const col = new Int32Array(w);
  for (let x = 0; x < w; x++) col[x] = Math.min(mask.width - 1, Math.floor(((x + 0.5) / w) * mask.width));
  for (let y = 0; y < h; y++) {
    const row = Math.min(mask.height - 1, Math.floor(((y + 0.5) / h) * mask.height)) * mask.width;
    for (let x = 0; x < w; x++) {
      const k = mask.values[row + col[x]!]!;
      out[y * w + x] = k === 255 || hidden.has(k) || !mask.classes[k] || mask.classes[k]!.background ? 255 : k;
    }
  }
  return out;
}

export function paintMask(mask: MaskData, w: number, h: number, opts: { hidden: readonly string[]; outline: boolean; lineWidth: number }): Uint8ClampedArray<ArrayBuffer> {
  const hidden = new Set<number>();
  mask.classes.forEach((c, k) => opts.hidden.includes(c.label) && hidden.add(k));
  const cells = cellsOf(mask, w, h, hidden);
  const rgb = mask.classes.map((c) => hexRgb(c.colour));
  const out = new Uint8ClampedArray(w * h * 4);
  const d = Math.max(1, opts.lineWidth);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const k = cells[y * w + x]!;
      if (k === 255) continue;
      if (opts.outline) {
        // Outside the grid counts as "no class": a region touching the image edge is closed there.
        const at = (xx: number, yy: number) => (xx < 0 || yy < 0 || xx >= w || yy >= h ? 255 : cells[yy * w + xx]!);
        if (at(x - d, y) === k && at(x + d, y) === k && at(x, y - d) === k && at(x, y + d) === k) continue;
      }
      const c = rgb[k]!;
      const i = (y * w + x) * 4;
      out[i] = c[0];
      out[i + 1] = c[1];
      out[i + 2] = c[2];
      out[i + 3] = 255;
    }
  }
  return out;
}
