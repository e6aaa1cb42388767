/** A mask layer's painted canvas, kept per mask and settings (opacity is the node's alpha, not here). */
import { maskPaintSize, paintMask } from './paint';
import type { MaskData } from './types';

const painted = new WeakMap<MaskData, Map<string, HTMLCanvasElement>>();

export function maskCanvas(mask: MaskData, hidden: readonly string[], outline: boolean): HTMLCanvasElement {
  const key = `${outline}|${[...hidden].sort().join(',')}`;
  let byKey = painted.get(mask);
  if (!byKey) painted.set(mask, (byKey = new Map()));
  const hit = byKey.get(key);
  if (hit) return hit;
  const { w, h } = maskPaintSize(mask);
  const c = document.createElement('canvas');
  c.width = w;
  c.height = h;
  // About 2 image pixels wide at 1:1, like the heatmap contour: visible without hiding the edge.
  const lineWidth = Math.max(1, Math.round(w / 512));
  c.getContext('2d')!.putImageData(new ImageData(paintMask(mask, w, h, { hidden, outline, lineWidth }), w, h), 0, 0);
  if (byKey.size > 8) byKey.clear();
  byKey.set(key, c);
  return c;
}
