/**
 * Multi-layer maps, combined as pytorch-grad-cam's BaseCAM does for several target layers
 * (compute_cam_per_layer + aggregate_multi_layers): each layer's ReLU'd map is min–max scaled
 * (scale_cam_image: x − min, / (1e-7 + max)) and resized bilinearly (cv2.resize, half-pixel
 * centres) to the model input, the layers are averaged, and the mean is min–max scaled again.
 * The result is therefore per-image relative ([0, 1]): a pack's anchored display scale does not
 * apply to it (the engine shows fused maps min–max, and says so in the scale).
 */
import { resizeBilinear } from '../engine/preprocess';

export const FUSION = 'mean-minmax' as const;

function minMax(v: ArrayLike<number>): Float64Array {
  let lo = Infinity;
  for (let i = 0; i < v.length; i++) lo = Math.min(lo, v[i]!);
  const out = Float64Array.from(v, (x) => x - lo);
  let hi = -Infinity;
  for (const x of out) hi = Math.max(hi, x);
  for (let i = 0; i < out.length; i++) out[i] = out[i]! / (1e-7 + hi);
  return out;
}

export function fuseMaps(maps: readonly { data: ArrayLike<number>; width: number; height: number }[], width: number, height: number): Float64Array {
  const sum = new Float64Array(width * height);
  for (const m of maps) {
    const relu = Float64Array.from(m.data, (x) => (x < 0 ? 0 : x));
    const scaled = resizeBilinear(minMax(relu), m.width, m.height, 1, width, height);
    for (let i = 0; i < sum.length; i++) sum[i]! += Math.max(0, scaled[i]!);
  }
  for (let i = 0; i < sum.length; i++) sum[i] = sum[i]! / maps.length;
  return minMax(sum);
}
