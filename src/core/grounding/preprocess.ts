/**
 * Image → pixel_values as HF Python's GroundingDinoImageProcessor makes them: the output size by
 * the DETR rule (fixed {height, width}, or shortest edge with a longest-edge cap — where
 * transformers.js 4.3 differs: it makes 640² → 1333²), PIL's bilinear resampling (a triangle
 * filter widened by the scale when shrinking, i.e. antialiased, unlike cv2/torch bilinear), then
 * rescale and normalise; pixel_mask is ones over the image (one image per run: no padding).
 */
import type { EngineImage } from '../engine/image';
import type { Preprocessor, SizeRule } from './folder';

/** Python's round(): halves to even (666.5 → 666), as get_size_with_aspect_ratio relies on. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** transformers' get_size_with_aspect_ratio / fixed size: [height, width] of the resized image. */
export function outputSize(height: number, width: number, rule: SizeRule): [number, number] {
  if ('height' in rule) return [rule.height, rule.width];
  let size = rule.shortestEdge;
  const maxSize = rule.longestEdge;
  let raw: number | undefined;
  if (maxSize !== undefined) {
    const lo = Math.min(height, width);
    const hi = Math.max(height, width);
    if ((hi / lo) * size > maxSize) {
      raw = (maxSize * lo) / hi;
      size = roundHalfEven(raw);
    }
  }
  if ((height <= width && height === size) || (width <= height && width === size)) return [height, width];
  if (width < height) return [Math.trunc(((raw ?? size) * height) / width), size];
  return [size, Math.trunc(((raw ?? size) * width) / height)];
}

interface Coeffs {
  start: Int32Array;
  count: Int32Array;
  weights: Float64Array;
  taps: number;
}

/** PIL's precompute_coeffs for the bilinear (triangle, support 1) filter. */
function coefficients(inSize: number, outSize: number): Coeffs {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filterScale;
  const taps = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float64Array(outSize * taps);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    const n = xmax - xmin;
    let total = 0;
    for (let x = 0; x < n; x++) {
      const t = Math.abs((x + xmin - center + 0.5) / filterScale);
      const w = t < 1 ? 1 - t : 0;
      weights[xx * taps + x] = w;
      total += w;
    }
    for (let x = 0; x < n; x++) weights[xx * taps + x] = total === 0 ? 0 : weights[xx * taps + x]! / total;
    start[xx] = xmin;
    count[xx] = n;
  }
  return { start, count, weights, taps };
}

/**
 * PIL Image.resize(BILINEAR) on interleaved pixels: horizontal pass, then vertical. With `eightBit`
 * each pass rounds and clips to 0..255 as PIL's 8-bit path does.
 */
export function resizePil(src: Float32Array, w: number, h: number, c: number, ow: number, oh: number, eightBit = false): Float32Array {
  const q = (v: number) => (eightBit ? Math.min(255, Math.max(0, Math.round(v))) : v);
  if (w === ow && h === oh) return Float32Array.from(src);
  // A pass whose size does not change is the identity here (PIL skips it).
  const cx = coefficients(w, ow);
  const tmp = new Float32Array(ow * h * c);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < ow; x++) {
      const s = cx.start[x]!;
      const n = cx.count[x]!;
      for (let k = 0; k < c; k++) {
        let acc = 0;
        for (let i = 0; i < n; i++) acc += cx.weights[x * cx.taps + i]! * src[(y * w + s + i) * c + k]!;
        tmp[(y * ow + x) * c + k] = q(acc);
      }
    }
  }
  const cy = coefficients(h, oh);
  const out = new Float32Array(ow * oh * c);
  for (let y = 0; y < oh; y++) {
    const s = cy.start[y]!;
    const n = cy.count[y]!;
    for (let x = 0; x < ow; x++) {
      for (let k = 0; k < c; k++) {
        let acc = 0;
        for (let i = 0; i < n; i++) acc += cy.weights[y * cy.taps + i]! * tmp[((s + i) * ow + x) * c + k]!;
        out[(y * ow + x) * c + k] = q(acc);
      }
    }
  }
  return out;
}

/** pixel_mask is all ones for an unpadded image; one read-only buffer per size is enough. */
const masks = new Map<number, BigInt64Array>();
function onesMask(n: number): BigInt64Array {
  let m = masks.get(n);
  if (!m) {
    if (masks.size > 8) masks.clear();
    masks.set(n, (m = new BigInt64Array(n).fill(1n)));
  }
  return m;
}

export interface PixelInput {
  /** NCHW float32 [1, 3, height, width]. */
  pixelValues: Float32Array;
  /** int64 ones [1, height, width]. */
  pixelMask: BigInt64Array;
  height: number;
  width: number;
}

/**
 * `img.data` is in [0, 1] (the engine's view); PIL works on 8-bit values, so the pixel is taken
 * back to 0..255, resampled, rescaled by rescale_factor and normalised.
 */
export function pixelInput(img: EngineImage, p: Preprocessor): PixelInput {
  const [height, width] = p.doResize ? outputSize(img.height, img.width, p.size) : [img.height, img.width];
  const plane = width * height;
  const pixelValues = new Float32Array(plane * 3);
  // Every output value is a function of an 8-bit level and the channel: one table per channel.
  const scale = p.doRescale ? p.rescaleFactor : 1;
  const lut = [0, 1, 2].map((k) => Float32Array.from({ length: 256 }, (_, level) => (p.doNormalize ? (level * scale - p.mean[k]!) / p.std[k]! : level * scale)));
  const [l0, l1, l2] = lut as [Float32Array, Float32Array, Float32Array];
  const c = img.channels;
  const d = img.data;
  if (width === img.width && height === img.height) {
    // No resampling (PIL returns the image as is): one pass from the decoded pixels.
    if (c === 1) {
      for (let i = 0; i < plane; i++) {
        const v = (d[i]! * 255 + 0.5) | 0;
        pixelValues[i] = l0[v]!;
        pixelValues[plane + i] = l1[v]!;
        pixelValues[2 * plane + i] = l2[v]!;
      }
    } else {
      for (let i = 0; i < plane; i++) {
        pixelValues[i] = l0[(d[i * 3]! * 255 + 0.5) | 0]!;
        pixelValues[plane + i] = l1[(d[i * 3 + 1]! * 255 + 0.5) | 0]!;
        pixelValues[2 * plane + i] = l2[(d[i * 3 + 2]! * 255 + 0.5) | 0]!;
      }
    }
  } else {
    const n = img.width * img.height;
    const rgb = new Float32Array(n * 3);
    for (let i = 0; i < n; i++) for (let k = 0; k < 3; k++) rgb[i * 3 + k] = Math.round(d[c === 1 ? i : i * 3 + k]! * 255);
    const resized = resizePil(rgb, img.width, img.height, 3, width, height, true);
    for (let i = 0; i < plane; i++) {
      pixelValues[i] = l0[resized[i * 3]!]!;
      pixelValues[plane + i] = l1[resized[i * 3 + 1]!]!;
      pixelValues[2 * plane + i] = l2[resized[i * 3 + 2]!]!;
    }
  }
  return { pixelValues, pixelMask: onesMask(plane), height, width };
}
