/**
 * The plain-loop form of the anomaly post-processing — 1 − SSIM residual and Gaussian blur exactly
 * as first written (one reflect() per tap, column passes walking down the image). Not used to
 * inspect: residual.ts and gaussian.ts compute the same sums in the same order, faster. Kept so the
 * unit tests can require the fast path to equal it bit for bit on odd shapes, and so
 * `npm run bench -- anomaly-profile` can print the speed-up against it in the same run.
 */
import type { ResidualSpec } from '../packs/manifest';
import { gaussianKernel, reflect } from './gaussian';
import { DEFAULT_RESIDUAL, LUMA, SSIM_C1, SSIM_C2 } from './residual';

export function referenceBoxMean(src: ArrayLike<number>, width: number, height: number, window: number): Float64Array {
  const half = Math.floor(window / 2);
  const tmp = new Float64Array(width * height);
  const out = new Float64Array(width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      let s = 0;
      for (let t = -half; t <= half; t++) s += src[y * width + reflect(x + t, width)]!;
      tmp[y * width + x] = s / window;
    }
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      let s = 0;
      for (let t = -half; t <= half; t++) s += tmp[reflect(y + t, height) * width + x]!;
      out[y * width + x] = s / window;
    }
  return out;
}

function referenceDissimilarity(a: ArrayLike<number>, b: ArrayLike<number>, width: number, height: number, window: number): Float64Array {
  const n = width * height;
  const aa = new Float64Array(n);
  const bb = new Float64Array(n);
  const ab = new Float64Array(n);
  for (let p = 0; p < n; p++) {
    aa[p] = a[p]! * a[p]!;
    bb[p] = b[p]! * b[p]!;
    ab[p] = a[p]! * b[p]!;
  }
  const ma = referenceBoxMean(a, width, height, window);
  const mb = referenceBoxMean(b, width, height, window);
  const maa = referenceBoxMean(aa, width, height, window);
  const mbb = referenceBoxMean(bb, width, height, window);
  const mab = referenceBoxMean(ab, width, height, window);
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

function referencePlanes(data: Float32Array, offset: number, c: number, plane: number, luma: boolean): ArrayLike<number>[] {
  const chans = Array.from({ length: c }, (_, ch) => data.subarray(offset + ch * plane, offset + (ch + 1) * plane));
  if (!luma || c !== 3) return chans;
  const y = new Float64Array(plane);
  for (let p = 0; p < plane; p++) y[p] = LUMA[0] * chans[0]![p]! + LUMA[1] * chans[1]![p]! + LUMA[2] * chans[2]![p]!;
  return [y];
}

export function referenceResidual(input: Float32Array, recon: Float32Array, dims: readonly number[], i: number, spec: ResidualSpec = {}): Float64Array {
  const r = { ...DEFAULT_RESIDUAL, ...spec };
  const [, c, h, w] = dims as [number, number, number, number];
  const plane = h * w;
  const xs = referencePlanes(input, i * c * plane, c, plane, r.channels === 'luma');
  const rs = referencePlanes(recon, i * c * plane, c, plane, r.channels === 'luma');
  const err = new Float64Array(plane);
  const k = xs.length;
  for (let ch = 0; ch < k; ch++) {
    const x = xs[ch]!;
    const y = rs[ch]!;
    if (r.metric === 'ssim') {
      const d = referenceDissimilarity(x, y, w, h, r.window);
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

export function referenceBlur(src: ArrayLike<number>, width: number, height: number, sigma: number): Float64Array {
  const out = Float64Array.from(src);
  if (!(sigma > 0)) return out;
  const k = gaussianKernel(sigma);
  const half = Math.floor(k.length / 2);
  const tmp = new Float64Array(width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      let s = 0;
      for (let t = 0; t < k.length; t++) s += k[t]! * out[y * width + reflect(x + t - half, width)]!;
      tmp[y * width + x] = s;
    }
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      let s = 0;
      for (let t = 0; t < k.length; t++) s += k[t]! * tmp[reflect(y + t - half, height) * width + x]!;
      out[y * width + x] = s;
    }
  return out;
}
