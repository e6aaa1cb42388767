/**
 * Pixel-level anomaly metrics over a set of maps and ground-truth masks (same size per image):
 * pixel AUROC over all pixels of all images, and AUPRO as anomalib and the MVTec AD paper define
 * it (Bergmann et al., IJCV 2021): for every threshold, PRO = the mean over ground-truth regions
 * (8-connected components, each image's separately) of the share of the region above the
 * threshold, against the false-positive rate over all normal pixels; the area under that curve up
 * to FPR 0.3, divided by 0.3.
 *
 * Computed exactly, not on a threshold grid: walking all pixels from the highest score down, each
 * anomalous pixel of region k adds 1/(K·|k|) to PRO and each normal pixel 1/N_normal to FPR.
 */
import { InspectorError } from '../../../shared/errors';
import { rocAuc } from './curves';

export interface MaskedMap {
  /** Row-major scores, width × height. */
  map: Float32Array | Float64Array;
  /** Row-major 0/1 truth, same size. */
  mask: Uint8Array;
  width: number;
  height: number;
}

/** 8-connected component labels (1..K) of a binary mask; 0 is background. */
export function connectedComponents(mask: Uint8Array, width: number, height: number): { labels: Int32Array; count: number } {
  const labels = new Int32Array(mask.length);
  let count = 0;
  const stack: number[] = [];
  for (let start = 0; start < mask.length; start++) {
    if (!mask[start] || labels[start]) continue;
    labels[start] = ++count;
    stack.push(start);
    while (stack.length) {
      const p = stack.pop()!;
      const x = p % width;
      const y = (p - x) / width;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= width) continue;
          const q = yy * width + xx;
          if (mask[q] && !labels[q]) {
            labels[q] = count;
            stack.push(q);
          }
        }
      }
    }
  }
  return { labels, count };
}

function concat(items: readonly MaskedMap[]): { scores: Float64Array; truth: Uint8Array } {
  const total = items.reduce((a, m) => a + m.map.length, 0);
  const scores = new Float64Array(total);
  const truth = new Uint8Array(total);
  let o = 0;
  for (const m of items) {
    scores.set(m.map, o);
    truth.set(m.mask, o);
    o += m.map.length;
  }
  return { scores, truth };
}

export function pixelAuroc(items: readonly MaskedMap[]): number | null {
  const { scores, truth } = concat(items);
  return rocAuc(truth, scores);
}

export interface ProCurve {
  fpr: number[];
  pro: number[];
}

export function aupro(items: readonly MaskedMap[], fprLimit = 0.3): { aupro: number | null; regions: number; curve: ProCurve } {
  const total = items.reduce((a, m) => a + m.map.length, 0);
  const scores = new Float64Array(total);
  const weight = new Float64Array(total); // PRO increment for anomalous pixels; 0 for normal ones
  const normal = new Uint8Array(total);
  let regions = 0;
  const sizes: number[] = [];
  const regionOf = new Int32Array(total);
  let o = 0;
  for (const m of items) {
    const cc = connectedComponents(m.mask, m.width, m.height);
    for (let i = 0; i < m.map.length; i++) {
      if (!Number.isFinite(m.map[i])) throw new InspectorError('EVAL_BAD_SCORE', `A map pixel is ${m.map[i]}; AUPRO needs finite maps.`);
      scores[o + i] = m.map[i]!;
      const l = cc.labels[i]!;
      if (l) {
        regionOf[o + i] = regions + l;
        sizes[regions + l] = (sizes[regions + l] ?? 0) + 1;
      } else normal[o + i] = 1;
    }
    regions += cc.count;
    o += m.map.length;
  }
  let normals = 0;
  for (let i = 0; i < total; i++) {
    if (normal[i]) normals++;
    else weight[i] = 1 / sizes[regionOf[i]!]!;
  }
  const curve: ProCurve = { fpr: [0], pro: [0] };
  if (!regions || !normals) return { aupro: null, regions, curve };
  // Normal pixels only move FPR: sorted natively. Anomalous pixels (few) carry their region's
  // weight: sorted by index. Merged from the highest score down, ties taken as one step.
  const neg = new Float64Array(normals);
  let anomalous = 0;
  for (let i = 0, b = 0; i < total; i++) {
    if (normal[i]) neg[b++] = scores[i]!;
    else anomalous++;
  }
  neg.sort();
  const posIdx = new Uint32Array(anomalous);
  for (let i = 0, a = 0; i < total; i++) if (!normal[i]) posIdx[a++] = i;
  posIdx.sort((a, b) => scores[b]! - scores[a]!);
  let fp = 0;
  let pro = 0;
  let area = 0;
  let pf = 0;
  let pp = 0;
  let i = 0;
  let j = normals - 1;
  while (i < anomalous || j >= 0) {
    const t = Math.max(i < anomalous ? scores[posIdx[i]!]! : -Infinity, j >= 0 ? neg[j]! : -Infinity);
    while (i < anomalous && scores[posIdx[i]!] === t) pro += weight[posIdx[i++]!]!;
    while (j >= 0 && neg[j] === t) {
      fp++;
      j--;
    }
    const f = fp / normals;
    const p = pro / regions;
    if (f >= fprLimit) {
      // Interpolate the segment to the limit, then stop.
      const t = f > pf ? (fprLimit - pf) / (f - pf) : 0;
      const pAt = pp + t * (p - pp);
      area += ((fprLimit - pf) * (pAt + pp)) / 2;
      curve.fpr.push(fprLimit);
      curve.pro.push(pAt);
      return { aupro: area / fprLimit, regions, curve };
    }
    area += ((f - pf) * (p + pp)) / 2;
    pf = f;
    pp = p;
    curve.fpr.push(f);
    curve.pro.push(p);
  }
  // Every pixel is positive before FPR reaches the limit (all normals scored above): PRO is 1 from there.
  area += (fprLimit - pf) * pp;
  return { aupro: area / fprLimit, regions, curve };
}
