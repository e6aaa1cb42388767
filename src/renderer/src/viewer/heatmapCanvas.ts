/**
 * A heatmap layer's painted canvas. The value grid is built once per map and mode ("uploaded
 * once"); settings changes only repaint it. Fills are smooth at ~256 px (the canvas interpolates
 * further); outlines need a finer grid. The last painting per map is kept, so a case load can
 * paint its maps with their default settings while the frame's bytes are still arriving.
 */
import { paintGrid, paintSize, resampleNormalised } from './heatmap';
import type { HeatmapData, LayerSettings } from './types';

type Grid = { w: number; h: number; norm: Float32Array };
const gridCache = new WeakMap<HeatmapData, Map<number, Grid>>();
const painted = new WeakMap<HeatmapData, { key: string; canvas: HTMLCanvasElement }>();

function gridOf(map: HeatmapData, cap: number): Grid {
  let byCap = gridCache.get(map);
  if (!byCap) gridCache.set(map, (byCap = new Map()));
  let g = byCap.get(cap);
  if (!g) {
    const t0 = performance.now();
    const { w, h } = paintSize(map, cap);
    g = { w, h, norm: resampleNormalised(map, w, h) };
    byCap.set(cap, g);
    performance.measure('inspector:heatmap-grid', { start: t0, end: performance.now() });
  }
  return g;
}

export function heatmapCanvas(map: HeatmapData, settings: Pick<LayerSettings, 'colormap' | 'threshold' | 'contour'>): HTMLCanvasElement {
  const { colormap, threshold, contour } = settings;
  const key = `${colormap}|${threshold}|${contour}`;
  const last = painted.get(map);
  if (last?.key === key) return last.canvas;
  const { w, h, norm } = gridOf(map, contour ? 768 : 256);
  const c = document.createElement('canvas');
  c.width = w;
  c.height = h;
  const lineWidth = Math.max(2, Math.round(w / 384));
  c.getContext('2d')!.putImageData(new ImageData(paintGrid(norm, w, h, colormap, threshold, contour, lineWidth), w, h), 0, 0);
  painted.set(map, { key, canvas: c });
  return c;
}
