/**
 * Image → model input, exactly as the pack's manifest says: resize (bilinear, half-pixel centres
 * like cv2.INTER_LINEAR and torchvision without antialias), colour, scale, mean/std, layout.
 */
import type { InputSpec } from '../packs/manifest';
import type { EngineImage } from './image';

/** Bilinear resize of an interleaved float image (cv2.INTER_LINEAR / align_corners=False). */
export function resizeBilinear(src: Float32Array | Float64Array, w: number, h: number, c: number, ow: number, oh: number): Float32Array {
  const out = new Float32Array(ow * oh * c);
  if (w === ow && h === oh) {
    out.set(src);
    return out;
  }
  const sx = w / ow;
  const sy = h / oh;
  for (let y = 0; y < oh; y++) {
    let fy = (y + 0.5) * sy - 0.5;
    if (fy < 0) fy = 0;
    const y0 = Math.min(Math.floor(fy), h - 1);
    const y1 = Math.min(y0 + 1, h - 1);
    const wy = fy - y0;
    for (let x = 0; x < ow; x++) {
      let fx = (x + 0.5) * sx - 0.5;
      if (fx < 0) fx = 0;
      const x0 = Math.min(Math.floor(fx), w - 1);
      const x1 = Math.min(x0 + 1, w - 1);
      const wx = fx - x0;
      for (let k = 0; k < c; k++) {
        const a = src[(y0 * w + x0) * c + k]!;
        const b = src[(y0 * w + x1) * c + k]!;
        const d = src[(y1 * w + x0) * c + k]!;
        const e = src[(y1 * w + x1) * c + k]!;
        out[(y * ow + x) * c + k] = (a * (1 - wx) + b * wx) * (1 - wy) + (d * (1 - wx) + e * wx) * wy;
      }
    }
  }
  return out;
}

/** Writes one image into `dst` (NCHW or NHWC slot of one batch item). */
export function toInput(img: EngineImage, spec: InputSpec, dst: Float32Array, offset: number): void {
  const [h, w] = spec.size;
  const resized = resizeBilinear(img.data, img.width, img.height, img.channels, w, h);
  const cOut = spec.channels;
  const mean = spec.mean ?? new Array(cOut).fill(0);
  const std = spec.std ?? new Array(cOut).fill(1);
  const range = spec.range ?? [0, 1];
  const plane = w * h;
  for (let i = 0; i < plane; i++) {
    let r: number, g: number, b: number;
    if (img.channels === 1) r = g = b = resized[i]!;
    else {
      r = resized[i * 3]!;
      g = resized[i * 3 + 1]!;
      b = resized[i * 3 + 2]!;
    }
    let px: number[];
    if (cOut === 1) px = [img.channels === 1 ? r : 0.299 * r + 0.587 * g + 0.114 * b];
    else px = spec.colour === 'bgr' ? [b, g, r] : [r, g, b];
    for (let c = 0; c < cOut; c++) {
      const v = (range[0] + px[c]! * (range[1] - range[0]) - mean[c]!) / std[c]!;
      dst[offset + (spec.layout === 'NCHW' ? c * plane + i : i * cOut + c)] = v;
    }
  }
}

export function batchInput(images: readonly EngineImage[], spec: InputSpec): { data: Float32Array; dims: number[] } {
  const [h, w] = spec.size;
  const per = h * w * spec.channels;
  const data = new Float32Array(per * images.length);
  images.forEach((img, n) => toInput(img, spec, data, n * per));
  const dims = spec.layout === 'NCHW' ? [images.length, spec.channels, h, w] : [images.length, h, w, spec.channels];
  return { data, dims };
}
