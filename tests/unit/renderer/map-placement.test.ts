import { describe, expect, it } from 'vitest';
import { heatmapRef, mapPlacement } from '../../../src/renderer/src/review/inspect';
import { inputCoverRect } from '../../../src/renderer/src/viewer/heatmap';

// The engine's PackRef.inputSize (and the recorded explanation.inputSize) is [height, width].
const wide: [number, number] = [100, 200];

describe('map placement reads the pack input as [height, width]', () => {
  it('letterbox on a non-square input: the cover rect of a 200 × 100 input on a 400² image', () => {
    const m = mapPlacement(wide, { width: 50, height: 25 }, 'letterbox', false);
    expect(m).toEqual({ kind: 'letterbox', inputWidth: 200, inputHeight: 100 });
    // 400² fitted into 200 × 100: scale 0.25, the input spans 800 × 400 image px centred.
    expect(inputCoverRect(m, 400, 400)).toEqual({ x: -200, y: 0, width: 800, height: 400 });
  });

  it('centre crop on a non-square input: the shorter input side is the resize', () => {
    const m = mapPlacement(wide, { width: 50, height: 25 }, 'center-crop', false);
    expect(m).toEqual({ kind: 'center-crop', inputWidth: 200, inputHeight: 100, resize: 100 });
    expect(inputCoverRect(m, 400, 400)).toEqual({ x: -200, y: 0, width: 800, height: 400 });
  });

  it('a tiled map spans the full image whatever the pack resize; stretch covers the image', () => {
    expect(inputCoverRect(mapPlacement(wide, { width: 45, height: 45 }, 'letterbox', true), 576, 576)).toEqual({ x: 0, y: 0, width: 576, height: 576 });
    expect(inputCoverRect(mapPlacement(wide, { width: 50, height: 25 }, 'stretch', false), 640, 480)).toEqual({ x: 0, y: 0, width: 640, height: 480 });
  });

  it('heatmapRef: the layer’s mapping carries width and height the right way round', () => {
    const h = { mediaId: 'm', kind: 'explanation' as const, method: 'gradcam', width: 50, height: 25, scale: { mode: 'minmax' as const, low: 0, high: 1, source: 'image' as const }, valid: true };
    expect(heatmapRef(h, { name: 'p', version: '1', inputSize: wide }, 'c')!.mapping).toEqual({ kind: 'stretch', inputWidth: 200, inputHeight: 100 });
    expect(heatmapRef(h, { name: 'p', version: '1', inputSize: wide }, 'c', { resize: 'letterbox' })!.mapping).toEqual({ kind: 'letterbox', inputWidth: 200, inputHeight: 100 });
    expect(heatmapRef(h, { name: 'p', version: '1', inputSize: wide }, 'c', { tiled: true })!.mapping).toEqual({ kind: 'stretch', inputWidth: 50, inputHeight: 25 });
  });
});
