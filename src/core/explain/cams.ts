/**
 * Class activation maps from one image's activation A and gradient G (both K×h×w), weighted as
 * pytorch-grad-cam does (grad_cam.py, grad_cam_plusplus.py, xgrad_cam.py, hirescam.py,
 * layer_cam.py, grad_cam_elementwise.py, eigen_grad_cam.py, finer_cam.py, eigen_cam.py, fem.py,
 * kpca_cam.py), so a map here equals the PyTorch one on the same model and image.
 * Every map is returned raw (after the ReLU base_cam applies), never rescaled: scaling is a
 * display decision made in ./scale.ts.
 */
export const GRADIENT_METHODS = ['gradcam', 'gradcampp', 'xgradcam', 'hirescam', 'layercam', 'gradcamelementwise', 'eigengradcam', 'finercam'] as const;
/** Ablation-CAM needs the head (it re-scores the ablated activation) but no gradient. */
export const FORWARD_METHODS = ['eigencam', 'scorecam', 'ablationcam', 'kpcacam', 'fem'] as const;
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
    case 'finercam':
      // Finer-CAM's base method is Grad-CAM; the difference is the score differentiated (finerSeed in ./finer.ts).
      return gradientCam('gradcam', a, g);
    case 'eigengradcam': {
      // get_2d_projection(grads * activations), sign-fixed like eigenCam.
      const prod = new Float64Array(a.k * hw);
      for (let i = 0; i < prod.length; i++) prod[i] = g[i]! * a.data[i]!;
      return eigenCam({ k: a.k, h: a.h, w: a.w, data: prod });
    }
    case 'gradcamelementwise': {
      const cam = new Float64Array(hw);
      for (let k = 0; k < a.k; k++)
        for (let i = 0; i < hw; i++) {
          const v = g[k * hw + i]! * a.data[k * hw + i]!;
          if (v > 0) cam[i]! += v;
        }
      return relu(cam);
    }
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
 * EigenCAM as pytorch-grad-cam's `get_2d_projection`: X is the activation as (h·w) × K, centred per
 * channel; the map is X·v₁, v₁ the first right singular vector of X (SVD of the C×(H·W) activation).
 * v₁ is found by power iteration on the Gram matrix of the *smaller* side — XᵀX (K×K) when K ≤ h·w,
 * else XXᵀ ((h·w)², then v₁ ∝ Xᵀu₁) — so the extra memory is min(K, h·w)² ≤ K·h·w, the activation's
 * own size (never (h·w)²: 5 GB for a 160×160 target), and the work is K·h·w·min(K, h·w) plus the
 * iterations (`eigenCamCost`). The SVD's sign is arbitrary; it is fixed so the projection agrees
 * with the mean activation, so the same image always gets the same map.
 */
export function eigenCam(a: Activation): Float64Array {
  const hw = a.h * a.w;
  const K = a.k;
  const x = new Float64Array(hw * K); // row-major hw × K, centred per channel
  for (let k = 0; k < K; k++) {
    let mean = 0;
    for (let i = 0; i < hw; i++) mean += a.data[k * hw + i]!;
    mean /= hw;
    for (let i = 0; i < hw; i++) x[i * K + k] = a.data[k * hw + i]! - mean;
  }
  const proj = new Float64Array(hw);
  if (K <= hw) {
    // C = XᵀX (K×K); v₁ its top eigenvector; projection X·v₁.
    const c = new Float64Array(K * K);
    for (let i = 0; i < hw; i++) {
      const row = i * K;
      for (let p = 0; p < K; p++) {
        const xp = x[row + p]!;
        if (xp === 0) continue;
        const cp = p * K;
        for (let q = p; q < K; q++) c[cp + q]! += xp * x[row + q]!;
      }
    }
    for (let p = 0; p < K; p++) for (let q = p + 1; q < K; q++) c[q * K + p] = c[p * K + q]!;
    const v = topEigenvector(c, K);
    for (let i = 0; i < hw; i++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += x[i * K + k]! * v[k]!;
      proj[i] = s;
    }
  } else {
    // Fewer positions than channels: G = XXᵀ (hw×hw ≤ K·hw); X·v₁ = σ₁·u₁.
    const g = new Float64Array(hw * hw);
    for (let i = 0; i < hw; i++)
      for (let j = i; j < hw; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += x[i * K + k]! * x[j * K + k]!;
        g[i * hw + j] = s;
        g[j * hw + i] = s;
      }
    const u = topEigenvector(g, hw);
    let lambda = 0;
    for (let i = 0; i < hw; i++) {
      let s = 0;
      for (let j = 0; j < hw; j++) s += g[i * hw + j]! * u[j]!;
      lambda += s * u[i]!;
    }
    const sigma = Math.sqrt(Math.max(0, lambda));
    for (let i = 0; i < hw; i++) proj[i] = u[i]! * sigma;
  }
  const meanAct = new Float64Array(hw);
  for (let k = 0; k < K; k++) for (let i = 0; i < hw; i++) meanAct[i]! += a.data[k * hw + i]!;
  let dot = 0;
  for (let i = 0; i < hw; i++) dot += proj[i]! * meanAct[i]!;
  if (dot < 0) for (let i = 0; i < hw; i++) proj[i] = -proj[i]!;
  return relu(proj);
}

/** Power-iteration cap: with it the work is bounded whatever the spectrum. */
export const EIGEN_ITERATIONS = 1000;

/**
 * Top eigenvector of a symmetric n×n matrix (power iteration, at most EIGEN_ITERATIONS steps).
 * `shift` iterates on M + shift·I: the same eigenvectors, all eigenvalues made positive, so the
 * *largest* (not the largest in magnitude) is found for an indefinite matrix (a sigmoid kernel).
 */
export function topEigenvector(m: Float64Array, n: number, shift = 0): Float64Array {
  let u = new Float64Array(n).fill(1 / Math.sqrt(n));
  const next = new Float64Array(n);
  for (let it = 0; it < EIGEN_ITERATIONS; it++) {
    let norm = 0;
    for (let i = 0; i < n; i++) {
      let s = shift * u[i]!;
      const row = i * n;
      for (let j = 0; j < n; j++) s += m[row + j]! * u[j]!;
      next[i] = s;
      norm += s * s;
    }
    norm = Math.sqrt(norm);
    if (norm === 0) break;
    let delta = 0;
    for (let i = 0; i < n; i++) {
      const v = next[i]! / norm;
      delta = Math.max(delta, Math.abs(v - u[i]!));
      next[i] = v;
    }
    u = Float64Array.from(next);
    if (delta < 1e-12) break;
  }
  return u;
}

/**
 * FEM (fem.py, k = 2): per channel, the share of positions above mean + k·std (population std)
 * weighs the channel; the map is Σ weight·A, ReLU'd as base_cam does.
 */
export function fem(a: Activation, kSigma = 2): Float64Array {
  const hw = a.h * a.w;
  const weights = new Float64Array(a.k);
  for (let k = 0; k < a.k; k++) {
    let mean = 0;
    for (let i = 0; i < hw; i++) mean += a.data[k * hw + i]!;
    mean /= hw;
    let v = 0;
    for (let i = 0; i < hw; i++) v += (a.data[k * hw + i]! - mean) ** 2;
    const th = mean + kSigma * Math.sqrt(v / hw);
    let above = 0;
    for (let i = 0; i < hw; i++) if (a.data[k * hw + i]! > th) above++;
    weights[k] = above / hw;
  }
  return relu(weighted(a, weights));
}

/**
 * KPCA-CAM (kpca_cam.py: sklearn KernelPCA(n_components=1, kernel='sigmoid', gamma=None) on the
 * centred (h·w)×K activation): kernel tanh(xᵢ·xⱼ / K + 1), double-centred as KernelCenterer, the
 * projection is u₁·√λ₁ with sklearn's deterministic sign (the largest |u₁| component positive).
 * The kernel is (h·w)² doubles — the one method whose memory grows with the square of the target
 * size, so ./budget.ts refuses it on large targets before it runs.
 */
export function kpcaCam(a: Activation): Float64Array {
  const hw = a.h * a.w;
  const K = a.k;
  const x = new Float64Array(hw * K);
  for (let k = 0; k < K; k++) {
    let mean = 0;
    for (let i = 0; i < hw; i++) mean += a.data[k * hw + i]!;
    mean /= hw;
    for (let i = 0; i < hw; i++) x[i * K + k] = a.data[k * hw + i]! - mean;
  }
  const gamma = 1 / K;
  const m = new Float64Array(hw * hw);
  for (let i = 0; i < hw; i++)
    for (let j = i; j < hw; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += x[i * K + k]! * x[j * K + k]!;
      const v = Math.tanh(gamma * s + 1);
      m[i * hw + j] = v;
      m[j * hw + i] = v;
    }
  // Double centring: K - 1K - K1 + 1K1.
  const rowMean = new Float64Array(hw);
  let all = 0;
  for (let i = 0; i < hw; i++) {
    let s = 0;
    for (let j = 0; j < hw; j++) s += m[i * hw + j]!;
    rowMean[i] = s / hw;
    all += s;
  }
  all /= hw * hw;
  for (let i = 0; i < hw; i++) for (let j = 0; j < hw; j++) m[i * hw + j] = m[i * hw + j]! - rowMean[i]! - rowMean[j]! + all;
  // Gershgorin bound: shifting by it makes every eigenvalue ≥ 0, so the top one is the largest.
  let bound = 0;
  for (let i = 0; i < hw; i++) {
    let s = 0;
    for (let j = 0; j < hw; j++) s += Math.abs(m[i * hw + j]!);
    bound = Math.max(bound, s);
  }
  let u = topEigenvector(m, hw);
  let lambda = rayleigh(m, u, hw);
  if (lambda < 0) {
    u = topEigenvector(m, hw, bound);
    lambda = rayleigh(m, u, hw);
  }
  let big = 0;
  for (let i = 0; i < hw; i++) if (Math.abs(u[i]!) > Math.abs(u[big]!)) big = i;
  const sign = u[big]! < 0 ? -1 : 1;
  const root = Math.sqrt(Math.max(0, lambda));
  const out = new Float64Array(hw);
  for (let i = 0; i < hw; i++) out[i] = sign * u[i]! * root;
  return relu(out);
}

function rayleigh(m: Float64Array, u: Float64Array, n: number): number {
  let lambda = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += m[i * n + j]! * u[j]!;
    lambda += s * u[i]!;
  }
  return lambda;
}

/**
 * Ablation-CAM weights (ablation_cam.py, ablation_layer.py): channel k is set to 0 (or, when the
 * activation's minimum is not 0, to that minimum − 1e7), the head re-scores the image, and
 * w_k = (score − score_without_k) / score; the map is ReLU(Σ w_k A_k).
 */
export function ablationCam(a: Activation, score: number, ablatedScores: ArrayLike<number>): Float64Array {
  const weights = new Float64Array(a.k);
  for (let k = 0; k < a.k; k++) weights[k] = (score - ablatedScores[k]!) / score;
  return relu(weighted(a, weights));
}

/** The value an ablated channel gets: 0 for ReLU-like activations, else far below the minimum. */
export function ablationValue(a: Activation): number {
  let min = Infinity;
  for (let i = 0; i < a.data.length; i++) if (a.data[i]! < min) min = a.data[i]!;
  return min === 0 ? 0 : min - 1e7;
}
