/**
 * The run's heatmap (model-input grid) laid back over the source image as packs resize: a
 * bilinear stretch to the source's rows × columns, sampled like the engine and the viewer sample
 * maps (shared/bilinear.ts). The SEG thresholds it, the Parametric Map carries it as floats — both
 * from this one resampling, so they agree pixel for pixel.
 */
import { bilinearAt } from '../../../shared/bilinear';
import type { HeatmapInput } from './sc';

/** Row-major `width × height` floats in the map's own units. */
export function resampleHeatmap(h: HeatmapInput, width: number, height: number): Float32Array {
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const v = ((y + 0.5) * h.height) / height;
    for (let x = 0; x < width; x++) out[y * width + x] = bilinearAt(h.values, h.width, h.height, ((x + 0.5) * h.width) / width, v);
  }
  return out;
}
