/**
 * anomalib's min–max normalisation (v1 utils/normalization/min_max.py, v2 PostProcessor): the raw
 * threshold lands exactly on 0.5, so "above 0.5" means "anomalous" on every image and every model.
 */
export function normaliseScore(x: number, threshold: number, min: number, max: number): number {
  const v = (x - threshold) / (max - min) + 0.5;
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

/** The raw value range drawn as [0, 1] when a raw map is displayed through the normalisation. */
export function rawDisplayRange(threshold: number, min: number, max: number): { low: number; high: number } {
  return { low: threshold - 0.5 * (max - min), high: threshold + 0.5 * (max - min) };
}
