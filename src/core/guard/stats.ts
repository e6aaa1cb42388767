/**
 * The statistics of the input guard: a Gaussian (mean + shrunk covariance) of reference feature
 * vectors and the Mahalanobis distance to it (Lee et al., NeurIPS 2018), with thresholds set on
 * cross-fitted distances. Cross-fitting matters: with ~150 reference images in 96–128 dimensions,
 * the distances of the very images a Gaussian was fitted on are far smaller than those of new
 * images of the same kind, so a threshold on them would flag most good images.
 */

export interface Gaussian {
  mean: number[];
  /** Inverse of the shrunk covariance, row-major d×d. */
  precision: number[];
  /** Shrinkage weight α: Σ' = (1 − α) Σ + α (tr Σ / d) I. */
  shrinkage: number;
}

/** Cholesky factor of a symmetric positive definite matrix (row-major), lower triangular. */
function cholesky(a: Float64Array, d: number): Float64Array {
  const l = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * d + j]!;
      for (let k = 0; k < j; k++) s -= l[i * d + k]! * l[j * d + k]!;
      if (i === j) l[i * d + i] = Math.sqrt(Math.max(s, 1e-12));
      else l[i * d + j] = s / l[j * d + j]!;
    }
  }
  return l;
}

/** Inverse of an SPD matrix through its Cholesky factor. */
export function spdInverse(a: Float64Array, d: number): Float64Array {
  const l = cholesky(a, d);
  // inv(L) by forward substitution, then inv(A) = inv(L)ᵀ inv(L).
  const li = new Float64Array(d * d);
  for (let c = 0; c < d; c++) {
    for (let i = 0; i < d; i++) {
      let s = i === c ? 1 : 0;
      for (let k = 0; k < i; k++) s -= l[i * d + k]! * li[k * d + c]!;
      li[i * d + c] = s / l[i * d + i]!;
    }
  }
  const inv = new Float64Array(d * d);
  for (let i = 0; i < d; i++)
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = Math.max(i, j); k < d; k++) s += li[k * d + i]! * li[k * d + j]!;
      inv[i * d + j] = s;
      inv[j * d + i] = s;
    }
  return inv;
}

export function fitGaussian(rows: readonly ArrayLike<number>[], shrinkage = 0.1): Gaussian {
  const n = rows.length;
  const d = rows[0]!.length;
  const mean = new Float64Array(d);
  for (const r of rows) for (let j = 0; j < d; j++) mean[j]! += r[j]! / n;
  const cov = new Float64Array(d * d);
  for (const r of rows)
    for (let i = 0; i < d; i++) {
      const di = r[i]! - mean[i]!;
      for (let j = 0; j <= i; j++) cov[i * d + j]! += (di * (r[j]! - mean[j]!)) / Math.max(1, n - 1);
    }
  let trace = 0;
  for (let i = 0; i < d; i++) trace += cov[i * d + i]!;
  const iso = Math.max(trace / d, 1e-12);
  for (let i = 0; i < d; i++)
    for (let j = 0; j <= i; j++) {
      const v = (1 - shrinkage) * cov[i * d + j]! + (i === j ? shrinkage * iso : 0);
      cov[i * d + j] = v;
      cov[j * d + i] = v;
    }
  return { mean: Array.from(mean), precision: Array.from(spdInverse(cov, d)), shrinkage };
}

/** Mahalanobis distance (not squared) of x to the Gaussian. */
export function mahalanobis(g: Gaussian, x: ArrayLike<number>): number {
  const d = g.mean.length;
  const diff = new Float64Array(d);
  for (let i = 0; i < d; i++) diff[i] = x[i]! - g.mean[i]!;
  let s = 0;
  for (let i = 0; i < d; i++) {
    let row = 0;
    for (let j = 0; j < d; j++) row += g.precision[i * d + j]! * diff[j]!;
    s += diff[i]! * row;
  }
  return Math.sqrt(Math.max(0, s));
}

/**
 * Each reference row's distance to a Gaussian fitted without it (k folds, interleaved so that
 * neighbours in file order land in different folds): what a new in-distribution image looks like.
 */
export function crossFittedDistances(rows: readonly ArrayLike<number>[], folds = 5, shrinkage = 0.1): number[] {
  const out = new Array<number>(rows.length);
  for (let f = 0; f < folds; f++) {
    const train = rows.filter((_, i) => i % folds !== f);
    const g = fitGaussian(train, shrinkage);
    rows.forEach((r, i) => {
      if (i % folds === f) out[i] = mahalanobis(g, r);
    });
  }
  return out;
}

/** Linear-interpolated quantile (numpy's default), q in [0, 1]. */
export function quantile(values: readonly number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, s.length - 1);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}
