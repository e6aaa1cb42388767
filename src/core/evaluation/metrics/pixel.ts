/**
 * Pixel-level anomaly metrics over a set of maps and ground-truth masks (same size per image):
 * pixel AUROC over all pixels of all images, and AUPRO as anomalib and the MVTec AD paper define
 * it (Bergmann et al., IJCV 2021): for every threshold, PRO = the mean over ground-truth regions
 * (8-connected components, each image's separately) of the share of the region above the
 * threshold, against the false-positive rate over all normal pixels; the area under that curve up
 * to FPR 0.3, divided by 0.3.
 *
 * Computed exactly, not on a threshold grid: sorting all pixels by score once, each anomalous
 * pixel of region k adds 1/(K·|k|) to PRO and each normal pixel 1/N_normal to FPR.
 */
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
  const order = new Uint32Array(total);
  for (let i = 0; i < total; i++) order[i] = i;
  order.sort((a, b) => scores[b]! - scores[a]!);
  let fp = 0;
  let pro = 0;
  let area = 0;
  let pf = 0;
  let pp = 0;
  for (let k = 0; k < total; k++) {
    const i = order[k]!;
    if (normal[i]) fp++;
    else pro += weight[i]!;
    if (k < total - 1 && scores[order[k + 1]!] === scores[i]) continue;
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
