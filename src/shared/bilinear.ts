/**
 * One bilinear sample of a row-major grid at grid coordinates with pixel centres at i + 0.5 (the
 * convention of cv2.INTER_LINEAR), clamped at the borders. Shared by the engine (stitching tile maps,
 * src/core/engine/tiling.ts) and the viewer (painting maps, renderer/src/viewer/heatmap.ts), so the
 * map the regions were found on and the map drawn are sampled the same way.
 */
export function bilinearAt(values: ArrayLike<number>, width: number, height: number, u: number, v: number): number {
  const x = Math.max(0, Math.min(width - 1, u - 0.5));
  const y = Math.max(0, Math.min(height - 1, v - 0.5));
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const x1 = Math.min(width - 1, x0 + 1);
  const y1 = Math.min(height - 1, y0 + 1);
  const fx = x - x0;
  const fy = y - y0;
  const a = values[y0 * width + x0]!;
  const b = values[y0 * width + x1]!;
  const c = values[y1 * width + x0]!;
  const d = values[y1 * width + x1]!;
  return (a * (1 - fx) + b * fx) * (1 - fy) + (c * (1 - fx) + d * fx) * fy;
}
