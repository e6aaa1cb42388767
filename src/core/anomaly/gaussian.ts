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

/**
 * Correlation with a separable kernel (the same `weights` along rows, then along columns), reflect
 * padding, each pass's sum divided by `divisor`: the Gaussian blur (divisor 1) and SSIM's box mean
 * (weights 1, divisor = window). Hand-written because no maintained JS library does float64
 * separable filtering with scipy's reflect mode; kept in the exact summation order of the plain
 * loops (src/core/anomaly/reference.ts), so results are bit-identical, only faster: the reflected
 * indices come from a table instead of a modulo per tap, and the column pass walks rows (contiguous
 * memory) instead of striding down the image once per output pixel.
 */
export function separableFilter(src: ArrayLike<number>, width: number, height: number, weights: Float64Array, divisor = 1): Float64Array {
  const taps = weights.length;
  const half = Math.floor(taps / 2);
  const tmp = new Float64Array(width * height);
  const out = new Float64Array(width * height);
  const xi = reflectTable(width, half, taps);
  for (let y = 0; y < height; y++) {
    const base = y * width;
    for (let x = 0; x < width; x++) {
      const o = x * taps;
      let s = 0;
      for (let t = 0; t < taps; t++) s += weights[t]! * src[base + xi[o + t]!]!;
      tmp[base + x] = s / divisor;
    }
  }
  const yi = reflectTable(height, half, taps);
  for (let y = 0; y < height; y++) {
    const base = y * width;
    // out starts at 0 and gains the taps in order: the same sums as `s` in the row pass.
    for (let t = 0; t < taps; t++) {
      const wt = weights[t]!;
      const row = yi[y * taps + t]! * width;
      for (let x = 0; x < width; x++) out[base + x]! += wt * tmp[row + x]!;
    }
    for (let x = 0; x < width; x++) out[base + x]! /= divisor;
  }
  return out;
}

/** reflect(i + t − half, n) for every output index i and tap t, row-major [i][t]. */
function reflectTable(n: number, half: number, taps: number): Int32Array {
  const table = new Int32Array(n * taps);
  for (let i = 0; i < n; i++) for (let t = 0; t < taps; t++) table[i * taps + t] = reflect(i + t - half, n);
  return table;
}

export function gaussianBlur(src: ArrayLike<number>, width: number, height: number, sigma: number): Float64Array {
  if (!(sigma > 0)) return Float64Array.from(src);
  return separableFilter(src, width, height, gaussianKernel(sigma));
}
