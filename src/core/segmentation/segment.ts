/**
 * Segmentation packs (`kind: segmentation`): per-pixel class scores → class mask, per-class areas
 * and regions. The graph gives (1, C, h, w) logits or probabilities at model resolution:
 *  - `sigmoid` head: each channel is one class's independent logit (multi-label; a pixel may be
 *    several defects at once); a pixel belongs to a class when its probability ≥ the class cut;
 *  - `softmax` head: channels are mutually exclusive; a pixel is its arg-max class;
 *  - `none`: the channels already are probabilities (sigmoid or softmax applied in the graph),
 *    read as `exclusive` says.
 * Regions (8-connected components) and areas are measured per defect class on the mask at model
 * resolution and scaled to the source image; with a known pixel spacing (DICOM PixelSpacing,
 * or the pack's/station's calibration) areas are also given in mm².
 */
import { findRegions } from '../regions/regions';
import { InspectorError } from '../../shared/errors';

export interface SegClass {
  /** Label id from the pack's labels. */
  label: string;
  /** Display colour `#rrggbb` of the mask layer. */
  colour: string;
  /** Background/good classes are painted nowhere and never make regions. */
  background: boolean;
  /** Probability at or above which a pixel is this class (sigmoid heads). */
  threshold: number;
}

export interface SegmentationSpec {
  activation: 'sigmoid' | 'softmax' | 'none';
  /** With activation `none`: whether the channels are exclusive (softmax-like) or independent. */
  exclusive?: boolean;
  /** One entry per output channel, in channel order. */
  classes: SegClass[];
  /** Components smaller than this many model pixels are dropped. */
  minArea: number;
}

export interface SegRegion {
  label: string;
  /** Box in source pixels: x, y, width, height. */
  box: [number, number, number, number];
  /**
   * Area in whole source pixels (model pixels × the model-to-source scale, rounded: the mask is
   * measured at model resolution, so a fraction of a source pixel is no information), and in mm²
   * when the spacing is known (from the same rounded pixel count).
   */
  areaPx: number;
  areaMm2: number | null;
  /** Peak and mean class probability inside the component. */
  score: number;
  mean: number;
}

export interface SegmentationOutput {
  /** Model-resolution class map: channel index per pixel, 255 = no (non-background) class. */
  mask: Uint8Array;
  width: number;
  height: number;
  /** Per class: probability map at model resolution (exclusive heads: the softmax value). */
  probabilities: Float32Array[];
  /** Per defect class: covered fraction of the image, area in whole source px and mm². */
  areas: Record<string, { fraction: number; areaPx: number; areaMm2: number | null }>;
  regions: SegRegion[];
  /** Highest defect-class probability over the image: the pack's image score. */
  score: number;
}

export interface SegmentOptions {
  /** Source image size (width, height) the mask is placed on. */
  sourceSize: [number, number];
  /** Millimetres per source pixel (row spacing, column spacing), when known. */
  pixelSpacing?: [number, number] | null;
  maxRegions?: number;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** Whether a pixel is its arg-max class (exclusive channels) rather than every class over its cut. */
export function isExclusive(spec: Pick<SegmentationSpec, 'activation' | 'exclusive' | 'classes'>): boolean {
  return spec.activation === 'softmax' || (spec.activation === 'none' && (spec.exclusive ?? spec.classes.length > 1));
}

/** Decodes one image's (1, C, h, w) output. */
export function segment(data: Float32Array, dims: readonly number[], spec: SegmentationSpec, opts: SegmentOptions): SegmentationOutput {
  if (dims.length !== 4 || dims[0] !== 1) {
    throw new InspectorError('SEGMENTATION_BAD_OUTPUT', `A segmentation output is (1, C, h, w); got (${dims.join(', ')}).`, { dims: [...dims] });
  }
  const [, c, h, w] = dims as [number, number, number, number];
  if (c !== spec.classes.length) {
    throw new InspectorError('SEGMENTATION_BAD_OUTPUT', `The model gives ${c} class channels but the pack names ${spec.classes.length} classes.`, { channels: c, classes: spec.classes.length });
  }
  const n = h * w;
  const exclusive = isExclusive(spec);
  const probs = Array.from({ length: c }, () => new Float32Array(n));
  for (let p = 0; p < n; p++) {
    if (spec.activation === 'softmax') {
      let m = -Infinity;
      for (let k = 0; k < c; k++) m = Math.max(m, data[k * n + p]!);
      let s = 0;
      for (let k = 0; k < c; k++) s += Math.exp(data[k * n + p]! - m);
      for (let k = 0; k < c; k++) probs[k]![p] = Math.exp(data[k * n + p]! - m) / s;
    } else {
      for (let k = 0; k < c; k++) probs[k]![p] = spec.activation === 'sigmoid' ? sigmoid(data[k * n + p]!) : data[k * n + p]!;
    }
  }
  // A class's pixels, as 1/0, for region finding; the display mask takes the most probable class.
  const member = probs.map(() => new Uint8Array(n));
  const mask = new Uint8Array(n).fill(255);
  let score = 0;
  for (let p = 0; p < n; p++) {
    let best = -1;
    let bestP = -Infinity;
    for (let k = 0; k < c; k++) {
      const v = probs[k]![p]!;
      if (!spec.classes[k]!.background && v > score) score = v;
      if (exclusive) {
        if (v > bestP) {
          bestP = v;
          best = k;
        }
      } else if (v >= spec.classes[k]!.threshold && v > bestP) {
        bestP = v;
        best = k;
      }
    }
    if (best < 0 || spec.classes[best]!.background) continue;
    mask[p] = best;
    if (exclusive) member[best]![p] = 1;
  }
  if (!exclusive) for (let k = 0; k < c; k++) for (let p = 0; p < n; p++) member[k]![p] = probs[k]![p]! >= spec.classes[k]!.threshold ? 1 : 0;

  const [sw, sh] = opts.sourceSize;
  const sx = sw / w;
  const sy = sh / h;
  const mm2 = opts.pixelSpacing ? opts.pixelSpacing[0] * opts.pixelSpacing[1] : null;
  const areas: SegmentationOutput['areas'] = {};
  const regions: SegRegion[] = [];
  spec.classes.forEach((cls, k) => {
    if (cls.background) return;
    let count = 0;
    for (let p = 0; p < n; p++) count += member[k]![p]!;
    const areaPx = Math.round(count * sx * sy);
    areas[cls.label] = { fraction: count / n, areaPx, areaMm2: mm2 === null ? null : areaPx * mm2 };
    const found = findRegions(member[k]!, w, h, { threshold: 1, minArea: spec.minArea, ...(opts.maxRegions ? { maxRegions: opts.maxRegions } : {}) });
    for (const r of found) {
      // The box may hold pixels of a neighbouring component of the same class: close enough for a summary.
      let peak = 0;
      let sum = 0;
      let cnt = 0;
      for (let y = r.y; y < r.y + r.height; y++)
        for (let x = r.x; x < r.x + r.width; x++)
          if (member[k]![y * w + x]) {
            const v = probs[k]![y * w + x]!;
            peak = Math.max(peak, v);
            sum += v;
            cnt++;
          }
      const a = Math.round(r.area * sx * sy);
      regions.push({
        label: cls.label,
        box: [Math.floor(r.x * sx), Math.floor(r.y * sy), Math.ceil(r.width * sx), Math.ceil(r.height * sy)],
        areaPx: a,
        areaMm2: mm2 === null ? null : a * mm2,
        score: peak,
        mean: cnt ? sum / cnt : 0,
      });
    }
  });
  regions.sort((a, b) => b.areaPx - a.areaPx);
  return { mask, width: w, height: h, probabilities: probs, areas, regions, score };
}
