import { memo } from 'react';
import { Image as KImage } from 'react-konva';
import { maskCanvas } from './maskCanvas';
import type { MaskData, MaskSettings } from './types';

/**
 * One mask layer on image pixels. High-contrast mode adds the class outline at full alpha over
 * the fill, so a region's edge stays visible at any fill opacity.
 */
export const MaskShape = memo(function MaskShape({ mask, settings, highContrast }: { mask: MaskData; settings: MaskSettings; highContrast: boolean }) {
  const place = { x: mask.covers.x, y: mask.covers.y, width: mask.covers.width, height: mask.covers.height, listening: false };
  return (
    <>
      <KImage image={maskCanvas(mask, settings.hidden, settings.outline)} {...place} opacity={settings.opacity} imageSmoothingEnabled={false} name={`mask-${mask.id}`} />
      {highContrast && !settings.outline && <KImage image={maskCanvas(mask, settings.hidden, true)} {...place} opacity={1} imageSmoothingEnabled={false} name={`mask-edge-${mask.id}`} />}
    </>
  );
});
