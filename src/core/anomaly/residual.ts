/**
 * Per-pixel residual between an autoencoder's input and its reconstruction, before smoothing.
 * Squared error (the classic choice) is dominated by texture and illumination on machined
 * surfaces; absolute error and 1 − SSIM in a small window (Bergmann et al. 2019) weigh a local
 * change of structure more than a global brightness shift. Luma compares brightness only, so a
 * reconstruction's slight colour cast does not light up the whole map.
 * Maths mirrored in training/lib/nets.py (`residual_map`), which the packs are built and tested with.
 */
import type { ResidualSpec } from '../packs/manifest';
import { separableFilter } from './gaussian';

/** BT.601 luma weights, as OpenCV and PIL convert RGB to grey. */
export const LUMA = [0.299, 0.587, 0.114] as const;
/** SSIM stabilisers for data in 0..1 (Wang et al. 2004: K1 = 0.01, K2 = 0.03, L = 1). */
export const SSIM_C1 = 0.01 ** 2;
export const SSIM_C2 = 0.03 ** 2;

export const DEFAULT_RESIDUAL: Required<ResidualSpec> = { metric: 'l2', channels: 'mean', window: 7 };

/** Mean over a window × window neighbourhood, reflect padding (mirror without repeating the edge). */
export function boxMean(src: ArrayLike<number>, width: number, height: number, window: number): Float64Array {
  return separableFilter(src, width, height, new Float64Array(window).fill(1), window);
}

/** 1 − SSIM per pixel over a uniform window, population (co)variances. */
export function dissimilarity(a: ArrayLike<number>, b: ArrayLike<number>, width: number, height: number, window: number): Float64Array {
  const n = width * height;
  const aa = new Float64Array(n);
  const bb = new Float64Array(n);
  const ab = new Float64Array(n);
  for (let p = 0; p < n; p++) {
    aa[p] = a[p]! * a[p]!;
    bb[p] = b[p]! * b[p]!;
    ab[p] = a[p]! * b[p]!;
  }
  const ma = boxMean(a, width, height, window);
  const mb = boxMean(b, width, height, window);
  const maa = boxMean(aa, width, height, window);
  const mbb = boxMean(bb, width, height, window);
  const mab = boxMean(ab, width, height, window);
  const out = new Float64Array(n);
  for (let p = 0; p < n; p++) {
    const mx = ma[p]!;
    const my = mb[p]!;
    const vx = maa[p]! - mx * mx;
    const vy = mbb[p]! - my * my;
    const cov = mab[p]! - mx * my;
    out[p] = 1 - ((2 * mx * my + SSIM_C1) * (2 * cov + SSIM_C2)) / ((mx * mx + my * my + SSIM_C1) * (vx + vy + SSIM_C2));
  }
  return out;
}

/** Planes [c][h·w] of one image in an NCHW batch; luma collapses RGB into one plane. */
function planes(data: Float32Array, offset: number, c: number, plane: number, luma: boolean): ArrayLike<number>[] {
  const chans = Array.from({ length: c }, (_, ch) => data.subarray(offset + ch * plane, offset + (ch + 1) * plane));
  if (!luma || c !== 3) return chans;
  const y = new Float64Array(plane);
  for (let p = 0; p < plane; p++) y[p] = LUMA[0] * chans[0]![p]! + LUMA[1] * chans[1]![p]! + LUMA[2] * chans[2]![p]!;
  return [y];
}

/** Unsmoothed residual of image `i` of an NCHW batch, averaged over the compared planes. */
export function residualMap(input: Float32Array, recon: Float32Array, dims: readonly number[], i: number, spec: ResidualSpec = {}): Float64Array {
  const r = { ...DEFAULT_RESIDUAL, ...spec };
  const [, c, h, w] = dims as [number, number, number, number];
  const plane = h * w;
  const xs = planes(input, i * c * plane, c, plane, r.channels === 'luma');
  const rs = planes(recon, i * c * plane, c, plane, r.channels === 'luma');
  const err = new Float64Array(plane);
  const k = xs.length;
  for (let ch = 0; ch < k; ch++) {
    const x = xs[ch]!;
    const y = rs[ch]!;
    if (r.metric === 'ssim') {
      const d = dissimilarity(x, y, w, h, r.window);
      for (let p = 0; p < plane; p++) err[p]! += d[p]! / k;
    } else if (r.metric === 'l1') {
      for (let p = 0; p < plane; p++) err[p]! += Math.abs(x[p]! - y[p]!) / k;
    } else {
      for (let p = 0; p < plane; p++) {
        const d = x[p]! - y[p]!;
        err[p]! += (d * d) / k;
      }
    }
  }
  return err;
}
