/**
 * The run's heatmap (model-input grid) laid back over the source image as packs resize: a
 * bilinear stretch to the source's rows × columns. The SEG thresholds it, the Parametric Map
 * carries it as floats — both from this one resampling, so they agree pixel for pixel.
 */
import type { HeatmapInput } from './sc';

/** Row-major `width × height` floats in the map's own units. */
export function resampleHeatmap(h: HeatmapInput, width: number, height: number): Float32Array {
  const out = new Float32Array(width * height);
  const at = (x: number, y: number) => h.values[y * h.width + x]!;
  for (let y = 0; y < height; y++) {
    const v = Math.max(0, Math.min(h.height - 1, ((y + 0.5) * h.height) / height - 0.5));
    const y0 = Math.floor(v);
    const y1 = Math.min(h.height - 1, y0 + 1);
    const fy = v - y0;
    for (let x = 0; x < width; x++) {
      const u = Math.max(0, Math.min(h.width - 1, ((x + 0.5) * h.width) / width - 0.5));
      const x0 = Math.floor(u);
      const x1 = Math.min(h.width - 1, x0 + 1);
      const fx = u - x0;
      out[y * width + x] = (at(x0, y0) * (1 - fx) + at(x1, y0) * fx) * (1 - fy) + (at(x0, y1) * (1 - fx) + at(x1, y1) * fx) * fy;
    }
  }
  return out;
}
