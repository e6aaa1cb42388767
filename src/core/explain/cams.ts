/**
 * Class activation maps from one image's activation A and gradient G (both K×h×w), weighted as
 * pytorch-grad-cam 1.5.5 does (grad_cam.py, grad_cam_plusplus.py, xgrad_cam.py, hirescam.py,
 * layer_cam.py, eigen_cam.py), so a map here equals the PyTorch one on the same model and image.
 * Every map is returned raw (after the ReLU those methods apply), never rescaled: scaling is a
 * display decision made in ./scale.ts.
 */
export const GRADIENT_METHODS = ['gradcam', 'gradcampp', 'xgradcam', 'hirescam', 'layercam'] as const;
export const FORWARD_METHODS = ['eigencam', 'scorecam'] as const;
export const METHODS = ['none', ...GRADIENT_METHODS, ...FORWARD_METHODS] as const;
export type GradientMethod = (typeof GRADIENT_METHODS)[number];
export type ExplainMethod = (typeof METHODS)[number];

export interface Activation {
  k: number;
  h: number;
  w: number;
  /** K·h·w values, channel-major. */
  data: ArrayLike<number>;
}

function weighted(a: Activation, weights: Float64Array): Float64Array {
  const hw = a.h * a.w;
  const cam = new Float64Array(hw);
  for (let k = 0; k < a.k; k++) {
    const wk = weights[k]!;
    if (wk === 0) continue;
    const off = k * hw;
    for (let i = 0; i < hw; i++) cam[i]! += wk * a.data[off + i]!;
  }
  return cam;
}

const relu = (m: Float64Array): Float64Array => {
  // NaN stays NaN: a broken map must be detected, not painted as zero.
  for (let i = 0; i < m.length; i++) if (m[i]! < 0) m[i] = 0;
  return m;
};

export function gradientCam(method: GradientMethod, a: Activation, g: ArrayLike<number>): Float64Array {
  const hw = a.h * a.w;
  const weights = new Float64Array(a.k);
  switch (method) {
    case 'gradcam':
      for (let k = 0; k < a.k; k++) {
        let s = 0;
        for (let i = 0; i < hw; i++) s += g[k * hw + i]!;
        weights[k] = s / hw;
      }
      return relu(weighted(a, weights));
    case 'gradcampp':
      for (let k = 0; k < a.k; k++) {
        let sumA = 0;
        for (let i = 0; i < hw; i++) sumA += a.data[k * hw + i]!;
        let s = 0;
        for (let i = 0; i < hw; i++) {
          const gi = g[k * hw + i]!;
          if (gi === 0) continue;
          const g2 = gi * gi;
          const aij = g2 / (2 * g2 + sumA * g2 * gi + 1e-6);
          s += Math.max(gi, 0) * aij;
        }
        weights[k] = s;
      }
      return relu(weighted(a, weights));
    case 'xgradcam':
      for (let k = 0; k < a.k; k++) {
        let sumA = 0;
        let sumGA = 0;
        for (let i = 0; i < hw; i++) {
          sumA += a.data[k * hw + i]!;
          sumGA += g[k * hw + i]! * a.data[k * hw + i]!;
        }
        weights[k] = sumGA / (sumA + 1e-7);
      }
      return relu(weighted(a, weights));
    case 'hirescam':
    case 'layercam': {
      const cam = new Float64Array(hw);
      for (let k = 0; k < a.k; k++)
        for (let i = 0; i < hw; i++) {
          const gi = g[k * hw + i]!;
          cam[i]! += (method === 'layercam' ? Math.max(gi, 0) : gi) * a.data[k * hw + i]!;
        }
      return relu(cam);
    }
  }
}

/**
 * EigenCAM: the activations (hw × K, centred per channel) projected on their first principal
 * direction. Found by power iteration on the smaller Gram matrix. The SVD's sign is arbitrary; we
 * orient it to agree with the mean activation so the same image always gets the same map.
 */
export function eigenCam(a: Activation): Float64Array {
  const hw = a.h * a.w;
  const x = new Float64Array(hw * a.k); // row-major hw × K
  for (let k = 0; k < a.k; k++) {
    let mean = 0;
    for (let i = 0; i < hw; i++) mean += a.data[k * hw + i]!;
    mean /= hw;
    for (let i = 0; i < hw; i++) x[i * a.k + k] = a.data[k * hw + i]! - mean;
  }
  // Top eigenvector u of X Xᵀ (hw × hw); projection X·v1 = σ1·u.
  const gram = new Float64Array(hw * hw);
  for (let i = 0; i < hw; i++)
    for (let j = i; j < hw; j++) {
      let s = 0;
      for (let k = 0; k < a.k; k++) s += x[i * a.k + k]! * x[j * a.k + k]!;
      gram[i * hw + j] = s;
      gram[j * hw + i] = s;
    }
  let u = new Float64Array(hw).fill(1 / Math.sqrt(hw));
  let lambda = 0;
  for (let it = 0; it < 1000; it++) {
    const next = new Float64Array(hw);
    for (let i = 0; i < hw; i++) {
      let s = 0;
      for (let j = 0; j < hw; j++) s += gram[i * hw + j]! * u[j]!;
      next[i] = s;
    }
    const norm = Math.hypot(...next);
    if (norm === 0) break;
    for (let i = 0; i < hw; i++) next[i]! /= norm;
    let delta = 0;
    for (let i = 0; i < hw; i++) delta = Math.max(delta, Math.abs(next[i]! - u[i]!));
    u = next;
    lambda = norm;
    if (delta < 1e-12) break;
  }
  const sigma = Math.sqrt(lambda);
  const proj = u.map((v) => v * sigma);
  const meanAct = new Float64Array(hw);
  for (let k = 0; k < a.k; k++) for (let i = 0; i < hw; i++) meanAct[i]! += a.data[k * hw + i]!;
  let dot = 0;
  for (let i = 0; i < hw; i++) dot += proj[i]! * meanAct[i]!;
  if (dot < 0) for (let i = 0; i < hw; i++) proj[i] = -proj[i]!;
  return relu(proj);
}
