import { memo, useMemo } from 'react';
import { Image as KImage } from 'react-konva';
import { heatmapCanvas } from '../viewer/heatmapCanvas';
import type { HeatmapData, LayerSettings } from '../viewer/types';

/** One heatmap layer placed on image pixels; opacity is a node alpha, so the slider never repaints. */
export const HeatmapShape = memo(function HeatmapShape({ map, settings }: { map: HeatmapData; settings: LayerSettings }) {
  const { colormap, threshold, contour } = settings;
  const canvas = useMemo(() => heatmapCanvas(map, { colormap, threshold, contour }), [map, colormap, threshold, contour]);
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
