/**
 * Heatmap → regions: threshold, 8-connected components, one box per component with its area, peak
 * and mean value. The same function serves Grad-CAM maps and anomaly maps; components smaller than
 * `minArea` pixels are dropped (specks of noise are not findings).
 */
export interface Region {
  /** Box in the map's pixel coordinates: x, y of the top-left pixel, width, height. */
  x: number;
  y: number;
  width: number;
  height: number;
  /** Pixels in the component. */
  area: number;
  peak: number;
  mean: number;
  /** Where the peak is. */
  peakX: number;
  peakY: number;
}

export interface RegionOptions {
  /** Values ≥ threshold are foreground. */
  threshold: number;
  minArea?: number;
  /** Largest regions first; at most this many. */
  maxRegions?: number;
}

export function findRegions(values: ArrayLike<number>, width: number, height: number, opts: RegionOptions): Region[] {
  const n = width * height;
  const label = new Int32Array(n).fill(-1);
  const regions: Region[] = [];
  const stack: number[] = [];
  for (let start = 0; start < n; start++) {
    // NaN never passes `>=`, so invalid pixels are never part of a region.
    if (label[start] !== -1 || !(values[start]! >= opts.threshold)) continue;
    const id = regions.length;
    let x0 = width, y0 = height, x1 = -1, y1 = -1, area = 0, sum = 0, peak = -Infinity, px = 0, py = 0;
    label[start] = id;
    stack.push(start);
    while (stack.length) {
      const p = stack.pop()!;
      const x = p % width;
      const y = (p - x) / width;
      const v = values[p]!;
      area++;
      sum += v;
      if (v > peak) {
        peak = v;
        px = x;
        py = y;
      }
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
      for (let dy = -1; dy <= 1; dy++)
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          const ny = y + dy;
          if ((dx === 0 && dy === 0) || nx < 0 || ny < 0 || nx >= width || ny >= height) continue;
          const q = ny * width + nx;
          if (label[q] === -1 && values[q]! >= opts.threshold) {
            label[q] = id;
            stack.push(q);
          }
        }
    }
    regions.push({ x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1, area, peak, mean: sum / area, peakX: px, peakY: py });
  }
  const kept = regions.filter((r) => r.area >= (opts.minArea ?? 1)).sort((a, b) => b.area - a.area || b.peak - a.peak);
  return opts.maxRegions ? kept.slice(0, opts.maxRegions) : kept;
}
