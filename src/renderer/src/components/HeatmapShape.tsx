import { memo, useMemo } from 'react';
import { Image as KImage } from 'react-konva';
import { paintGrid, paintSize, resampleNormalised } from '../viewer/heatmap';
import type { HeatmapData, LayerSettings } from '../viewer/types';

const gridCache = new WeakMap<HeatmapData, { w: number; h: number; norm: Float32Array }>();

/** The value grid is built once per map ("uploaded once"); settings changes only repaint it. */
function gridOf(map: HeatmapData) {
  let g = gridCache.get(map);
  if (!g) {
    const { w, h } = paintSize(map);
    g = { w, h, norm: resampleNormalised(map, w, h) };
    gridCache.set(map, g);
  }
  return g;
}

/** One heatmap layer placed on image pixels; opacity is a node alpha, so the slider never repaints. */
export const HeatmapShape = memo(function HeatmapShape({ map, settings }: { map: HeatmapData; settings: LayerSettings }) {
  const { colormap, threshold, contour } = settings;
  const canvas = useMemo(() => {
    const { w, h, norm } = gridOf(map);
    const c = document.createElement('canvas');
    c.width = w;
    c.height = h;
    const lineWidth = Math.max(2, Math.round(w / 256));
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
