/**
 * Heatmaps on image pixels: where a model-input-sized map lies on the original image (the resize,
 * crop or letterbox of preprocessing undone), and its recolouring. Recolouring works on the map's
 * own grid (e.g. 224²), so a colour-map or threshold change is cheap; opacity is a canvas alpha and
 * costs nothing.
 */
import { bilinearAt } from '../../../shared/bilinear';
import { colormapTable } from './colormaps';
import type { ColormapName, HeatmapData, HeatmapScale, Rect } from './types';

/**
 * How the model input was made from the image, as packs declare it:
 * - `stretch`: resized to the input size ignoring aspect ratio;
 * - `center-crop`: shorter side resized to `resize`, then the centre `inputWidth × inputHeight` cut out;
 * - `letterbox`: longer side fitted into the input, the rest padded equally on both sides.
 */
export type InputMapping =
  | { kind: 'stretch'; inputWidth: number; inputHeight: number }
  | { kind: 'center-crop'; inputWidth: number; inputHeight: number; resize: number }
  | { kind: 'letterbox'; inputWidth: number; inputHeight: number };

/** The image-pixel rectangle the whole model input (and hence any map of it) covers. */
export function inputCoverRect(m: InputMapping, imageWidth: number, imageHeight: number): Rect {
  switch (m.kind) {
    case 'stretch':
      return { x: 0, y: 0, width: imageWidth, height: imageHeight };
    case 'center-crop': {
      const s = m.resize / Math.min(imageWidth, imageHeight);
      const w = m.inputWidth / s;
      const h = m.inputHeight / s;
      return { x: (imageWidth - w) / 2, y: (imageHeight - h) / 2, width: w, height: h };
    }
    case 'letterbox': {
      const s = Math.min(m.inputWidth / imageWidth, m.inputHeight / imageHeight);
      const w = m.inputWidth / s;
      const h = m.inputHeight / s;
      return { x: (imageWidth - w) / 2, y: (imageHeight - h) / 2, width: w, height: h };
    }
  }
}

export function normalise(v: number, scale: HeatmapScale): number {
  const span = scale.max - scale.min;
  if (!(span > 0)) return v >= scale.max ? 1 : 0;
  return Math.max(0, Math.min(1, (v - scale.min) / span));
}

/** Raw value of a normalised display threshold, for the legend. */
export function rawAt(n: number, scale: HeatmapScale): number {
  return scale.min + n * (scale.max - scale.min);
}

/** The map recoloured on its own grid: RGBA, fully transparent below the display threshold. */
export function recolour(map: HeatmapData, colormap: ColormapName, threshold: number): Uint8ClampedArray<ArrayBuffer> {
  const out = new Uint8ClampedArray(map.width * map.height * 4);
  const t = colormapTable(colormap);
  for (let i = 0; i < map.values.length; i++) {
    const n = normalise(map.values[i]!, map.scale);
    if (n < threshold || Number.isNaN(n)) continue;
    const c = Math.round(n * 255) * 3;
    out[i * 4] = t[c]!;
    out[i * 4 + 1] = t[c + 1]!;
    out[i * 4 + 2] = t[c + 2]!;
    out[i * 4 + 3] = 255;
  }
  return out;
}

/** Bilinear sample of the map at map-grid coordinates (pixel centres at i + 0.5). */
function sample(map: HeatmapData, u: number, v: number): number {
  return bilinearAt(map.values, map.width, map.height, u, v);
}

/**
 * Outline of the regions at or above the threshold, rasterised over `covers` at `outW × outH`
 * (finer than the map so the line follows the interpolated map, not its blocky grid). The inside
 * stays transparent: the image under a finding remains readable.
 */
export function contourRaster(map: HeatmapData, colormap: ColormapName, threshold: number, outW: number, outH: number, lineWidth = 2): Uint8ClampedArray<ArrayBuffer> {
  return paintGrid(resampleNormalised(map, outW, outH), outW, outH, colormap, threshold, true, lineWidth);
}

/**
 * The map's normalised values resampled (bilinear, in value space) onto an `outW × outH` grid over
 * `covers`. Interpolating values, not colours, keeps every drawn colour on the colour map and the
 * threshold edge smooth; colour-map and threshold changes then only repaint this grid.
 */
export function resampleNormalised(map: HeatmapData, outW: number, outH: number): Float32Array {
  const out = new Float32Array(outW * outH);
  for (let y = 0; y < outH; y++) {
    const v = ((y + 0.5) / outH) * map.height;
    for (let x = 0; x < outW; x++) out[y * outW + x] = normalise(sample(map, ((x + 0.5) / outW) * map.width, v), map.scale);
  }
  return out;
}

/** Paints a resampled grid: filled above the threshold, or only the outline in contour mode. */
export function paintGrid(norm: Float32Array, outW: number, outH: number, colormap: ColormapName, threshold: number, contour: boolean, lineWidth = 2): Uint8ClampedArray<ArrayBuffer> {
  const out = new Uint8ClampedArray(outW * outH * 4);
  const t = colormapTable(colormap);
  const r = Math.max(1, Math.round(lineWidth / 2));
  const isAbove = (i: number) => norm[i]! >= threshold;
  for (let y = 0; y < outH; y++) {
    for (let x = 0; x < outW; x++) {
      const i = y * outW + x;
      if (!isAbove(i)) continue;
      if (contour) {
        let edge = x === 0 || y === 0 || x === outW - 1 || y === outH - 1;
        for (let dy = -r; dy <= r && !edge; dy++) {
          for (let dx = -r; dx <= r && !edge; dx++) {
            const xx = x + dx;
            const yy = y + dy;
            if (xx >= 0 && yy >= 0 && xx < outW && yy < outH && !isAbove(yy * outW + xx)) edge = true;
          }
        }
        if (!edge) continue;
      }
      const c = Math.round(norm[i]! * 255) * 3;
      out[i * 4] = t[c]!;
      out[i * 4 + 1] = t[c + 1]!;
      out[i * 4 + 2] = t[c + 2]!;
      out[i * 4 + 3] = 255;
    }
  }
  return out;
}

/** Grid size for painting a map: at least the map's own, at most ~`cap` px on the long side. */
export function paintSize(map: HeatmapData, cap = 512): { w: number; h: number } {
  const long = Math.max(map.covers.width, map.covers.height);
  const k = Math.min(1, cap / long);
  return { w: Math.max(map.width, Math.round(map.covers.width * k)), h: Math.max(map.height, Math.round(map.covers.height * k)) };
}

/** Per-image scale from the map itself (what pytorch-grad-cam does); the legend labels it so. */
export function perImageScale(values: Float32Array): HeatmapScale {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min: min === Infinity ? 0 : min, max: max === -Infinity ? 1 : max, kind: 'per-image' };
}
