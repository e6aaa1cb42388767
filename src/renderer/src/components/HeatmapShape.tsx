import { memo, useMemo } from 'react';
import { Image as KImage } from 'react-konva';
import { paintGrid, paintSize, resampleNormalised } from '../viewer/heatmap';
import type { HeatmapData, LayerSettings } from '../viewer/types';

type Grid = { w: number; h: number; norm: Float32Array };
const gridCache = new WeakMap<HeatmapData, Map<number, Grid>>();

/**
 * The value grid is built once per map and mode ("uploaded once"); settings changes only repaint
 * it. Fills are smooth at ~256 px (the canvas interpolates further); outlines need a finer grid.
 */
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

/** One heatmap layer placed on image pixels; opacity is a node alpha, so the slider never repaints. */
export const HeatmapShape = memo(function HeatmapShape({ map, settings }: { map: HeatmapData; settings: LayerSettings }) {
  const { colormap, threshold, contour } = settings;
  const canvas = useMemo(() => {
    const { w, h, norm } = gridOf(map, contour ? 768 : 256);
    const c = document.createElement('canvas');
    c.width = w;
    c.height = h;
    const lineWidth = Math.max(2, Math.round(w / 384));
    c.getContext('2d')!.putImageData(new ImageData(paintGrid(norm, w, h, colormap, threshold, contour, lineWidth), w, h), 0, 0);
    return c;
  }, [map, colormap, threshold, contour]);
  return (
    <KImage
      image={canvas}
      x={map.covers.x}
      y={map.covers.y}
      width={map.covers.width}
      height={map.covers.height}
      opacity={settings.opacity}
      listening={false}
      name={`heatmap-${map.id}`}
    />
  );
});
