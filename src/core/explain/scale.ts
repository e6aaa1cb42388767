/**
 * Display scales for heatmaps. pytorch-grad-cam stretches every map to its own min–max, so a normal
 * image glows as red as a defective one. The default here is a scale anchored in the pack (recorded
 * from normal images at pack creation, or the anomaly threshold), so a colour means the same value
 * on every image; per-image min–max stays available. The raw map and the scale used travel
 * together so a report can be re-derived.
 */
import { resizeBilinear } from '../engine/preprocess';

export interface MapScale {
  mode: 'anchored' | 'minmax';
  /** Raw value drawn at the bottom / top of the colour map. */
  low: number;
  high: number;
  /** Where the numbers came from: `pack` (manifest), `image` (this map's own range). */
  source: 'pack' | 'image';
  derivation?: string;
}

export interface HeatMap {
  width: number;
  height: number;
  /** Raw values (method units), row-major. */
  data: Float32Array;
  scale: MapScale;
  /** False when the map holds NaN/Inf: it must not be drawn as data. */
  valid: boolean;
  invalidReason?: string;
}

export function finiteRange(data: ArrayLike<number>): { min: number; max: number; finite: boolean } {
  let min = Infinity;
  let max = -Infinity;
  let finite = true;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (!Number.isFinite(v)) {
      finite = false;
      continue;
    }
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max, finite };
}

export function makeHeatMap(
  raw: ArrayLike<number>,
  width: number,
  height: number,
  anchored: { low: number; high: number; derivation?: string } | undefined,
  mode: 'anchored' | 'minmax' = anchored ? 'anchored' : 'minmax',
): HeatMap {
  const data = Float32Array.from(raw);
  const r = finiteRange(data);
  const useAnchor = mode === 'anchored' && anchored !== undefined;
  const scale: MapScale = useAnchor
    ? { mode: 'anchored', low: anchored.low, high: anchored.high, source: 'pack', ...(anchored.derivation ? { derivation: anchored.derivation } : {}) }
    : { mode: 'minmax', low: r.finite ? r.min : 0, high: r.finite ? r.max : 0, source: 'image' };
  return r.finite ? { width, height, data, scale, valid: true } : { width, height, data, scale, valid: false, invalidReason: 'the map contains NaN or infinite values' };
}

/** Values in [0, 1] for drawing; NaN where the map is invalid (the renderer draws nothing). */
export function normalised(map: HeatMap): Float32Array {
  const out = new Float32Array(map.data.length);
  if (!map.valid) return out.fill(NaN);
  const span = map.scale.high - map.scale.low;
  for (let i = 0; i < out.length; i++) {
    const v = span > 0 ? (map.data[i]! - map.scale.low) / (span + (map.scale.mode === 'minmax' ? 1e-7 : 0)) : 0;
    out[i] = v < 0 ? 0 : v > 1 ? 1 : v;
  }
  return out;
}

/** Bilinear upsampling (cv2.INTER_LINEAR) of a raw map to another resolution, raw values kept. */
export function resizeMap(map: HeatMap, width: number, height: number): HeatMap {
  if (map.width === width && map.height === height) return map;
  const data = resizeBilinear(map.data, map.width, map.height, 1, width, height);
  return { ...map, width, height, data };
}

/** Percentile (linear interpolation, numpy's default) of finite values. */
export function percentile(values: ArrayLike<number>, p: number): number {
  const v = Array.from(values).filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const pos = (p / 100) * (v.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, v.length - 1);
  return v[lo]! + (v[hi]! - v[lo]!) * (pos - lo);
}
