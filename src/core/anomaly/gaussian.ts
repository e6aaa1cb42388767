/**
 * Gaussian smoothing of anomaly maps as anomalib's GaussianBlur2d does it: kernel size
 * 2·int(4σ + 0.5) + 1, normalised, separable, reflect padding (mirror without repeating the edge).
 */
export function gaussianKernel(sigma: number): Float64Array {
  const size = 2 * Math.floor(4 * sigma + 0.5) + 1;
  const k = new Float64Array(size);
  const half = Math.floor(size / 2);
  let sum = 0;
  for (let i = 0; i < size; i++) sum += k[i] = Math.exp(-((i - half) ** 2) / (2 * sigma * sigma));
  for (let i = 0; i < size; i++) k[i]! /= sum;
  return k;
}

/** Index with reflect padding (mirror without repeating the edge), as scipy/anomalib pad. */
export function reflect(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  let j = ((i % period) + period) % period;
  if (j >= n) j = period - j;
  return j;
}

export function gaussianBlur(src: ArrayLike<number>, width: number, height: number, sigma: number): Float64Array {
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
