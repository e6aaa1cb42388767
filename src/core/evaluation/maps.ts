/**
 * Maps against masks: a recorded map (Grad-CAM at feature resolution, anomaly map at model input
 * resolution; packs resize by stretching, so a map covers the whole image) brought to one grid
 * with the ground truth, and the per-image and per-set localisation numbers computed there.
 */
import sharp from 'sharp';
import { aupro, pixelAuroc, type MaskedMap } from './metrics/pixel';
import { energyInMask, pointingHit } from './metrics/localisation';
import { bootstrapInterval, type Interval } from './metrics/bootstrap';
import type { LabelledPolygon } from './sets/types';

/** Bilinear resize with half-pixel centres (OpenCV INTER_LINEAR, PyTorch align_corners=False). */
export function resizeBilinear(src: ArrayLike<number>, w: number, h: number, W: number, H: number): Float64Array {
  const out = new Float64Array(W * H);
  const sx = w / W;
  const sy = h / H;
  for (let y = 0; y < H; y++) {
    const fy = Math.max(0, Math.min(h - 1, (y + 0.5) * sy - 0.5));
    const y0 = Math.floor(fy);
    const y1 = Math.min(h - 1, y0 + 1);
    const ty = fy - y0;
    for (let x = 0; x < W; x++) {
      const fx = Math.max(0, Math.min(w - 1, (x + 0.5) * sx - 0.5));
      const x0 = Math.floor(fx);
      const x1 = Math.min(w - 1, x0 + 1);
      const tx = fx - x0;
      const a = src[y0 * w + x0]! * (1 - tx) + src[y0 * w + x1]! * tx;
      const b = src[y1 * w + x0]! * (1 - tx) + src[y1 * w + x1]! * tx;
      out[y * W + x] = a * (1 - ty) + b * ty;
    }
  }
  return out;
}

/** Polygons (image pixels) filled on a W × H grid by pixel centre, even-odd rule. */
export function rasterisePolygons(polys: readonly LabelledPolygon[], imageW: number, imageH: number, W: number, H: number): Uint8Array {
  const mask = new Uint8Array(W * H);
  const sx = W / imageW;
  const sy = H / imageH;
  for (const p of polys) {
    const pts = p.points.map(([x, y]) => [x * sx, y * sy] as const);
    for (let y = 0; y < H; y++) {
      const cy = y + 0.5;
      const xs: number[] = [];
      for (let i = 0, j = pts.length - 1; i < pts.length; j = i++) {
        const [xi, yi] = pts[i]!;
        const [xj, yj] = pts[j]!;
        if (yi > cy !== yj > cy) xs.push(xi + ((cy - yi) * (xj - xi)) / (yj - yi));
      }
      xs.sort((a, b) => a - b);
      for (let k = 0; k + 1 < xs.length; k += 2) {
        for (let x = Math.max(0, Math.ceil(xs[k]! - 0.5)); x < Math.min(W, Math.ceil(xs[k + 1]! - 0.5)); x++) mask[y * W + x] = 1;
      }
    }
  }
  return mask;
}

/** A binary mask image (non-zero = defect) on a W × H grid: area-averaged, then ≥ half. */
export async function loadMask(path: string, W: number, H: number): Promise<Uint8Array> {
  const { data } = await sharp(path).greyscale().resize(W, H, { fit: 'fill', kernel: 'linear' }).raw().toBuffer({ resolveWithObject: true });
  // Binary masks are 0/255 (or 0/1): scale-free test against the image's own maximum.
  let max = 0;
  for (const v of data) if (v > max) max = v;
  const out = new Uint8Array(W * H);
  if (!max) return out;
  for (let i = 0; i < out.length; i++) out[i] = data[i]! * 2 >= max ? 1 : 0;
  return out;
}

export interface MapLocalisation {
  /** Images with a map and a ground-truth region. */
  images: number;
  pointingGame: number | null;
  pointingGameCi: Interval | null;
  /** Tolerance in pixels of the evaluation grid (the model input). */
  pointingTolerance: number;
  energyInMask: number | null;
  energyInMaskCi: Interval | null;
}

export interface PixelMetrics {
  images: number;
  pixelAuroc: number | null;
  /** Pixel AUROC on the defective images only (normal images' pixels left out). */
  pixelAurocDefectOnly: number | null;
  aupro: number | null;
  regions: number;
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

/** Pointing game and energy in mask on defective images, on the model-input grid. */
export function mapLocalisation(items: readonly MaskedMap[], tolerance = 4, seed?: number): MapLocalisation {
  const withRegion = items.filter((m) => m.mask.some((v) => v));
  const hits = withRegion.map((m) => (pointingHit(m.map, m.mask, m.width, m.height, tolerance) ? 1 : 0));
  const energy = withRegion.map((m) => energyInMask(m.map, m.mask)).filter((v): v is number => v !== null);
  const ci = (xs: number[]) => bootstrapInterval(xs.length, (idx) => mean(Array.from(idx, (i) => xs[i]!)), seed !== undefined ? { seed } : {});
  return { images: withRegion.length, pointingGame: mean(hits), pointingGameCi: ci(hits), pointingTolerance: tolerance, energyInMask: mean(energy), energyInMaskCi: ci(energy) };
}

export function pixelMetrics(items: readonly MaskedMap[]): PixelMetrics {
  const defective = items.filter((m) => m.mask.some((v) => v));
  const a = aupro(items);
  return { images: items.length, pixelAuroc: pixelAuroc(items), pixelAurocDefectOnly: defective.length ? pixelAuroc(defective) : null, aupro: a.aupro, regions: a.regions };
}
