/**
 * Binary ranking curves with scikit-learn's conventions, so numbers here and in a Python notebook
 * agree: ROC with the (0, 0) start point and trapezoid area (`roc_auc_score`), and the
 * precision-recall curve summarised as average precision (`average_precision_score`, a step sum,
 * not a trapezoid — the trapezoid over-states PR area).
 */
import { InspectorError } from '../../../shared/errors';

export interface RocCurve {
  fpr: number[];
  tpr: number[];
  /** Decision threshold of each point: score ≥ threshold is positive. The first is +Infinity. */
  thresholds: number[];
}

export interface PrCurve {
  precision: number[];
  recall: number[];
  thresholds: number[];
}

interface Cumulative {
  /** Distinct scores, descending. */
  thresholds: number[];
  tps: number[];
  fps: number[];
  positives: number;
  negatives: number;
}

/**
 * True/false positive counts at every distinct score, highest first (ties form one step).
 * Positives and negatives are sorted apart with the engine's native numeric sort and merged:
 * millions of pixels (pixel AUROC) take a second, not the minutes of a comparator sort.
 */
function cumulative(labels: ArrayLike<number>, scores: ArrayLike<number>): Cumulative {
  const n = labels.length;
  let np = 0;
  for (let i = 0; i < n; i++) if (labels[i]) np++;
  const pos = new Float64Array(np);
  const neg = new Float64Array(n - np);
  for (let i = 0, a = 0, b = 0; i < n; i++) {
    if (!Number.isFinite(scores[i])) throw new InspectorError('EVAL_BAD_SCORE', `Score ${i} is ${scores[i]}; ranking metrics need finite scores.`);
    if (labels[i]) pos[a++] = scores[i]!;
    else neg[b++] = scores[i]!;
  }
  pos.sort();
  neg.sort();
  const thresholds: number[] = [];
  const tps: number[] = [];
  const fps: number[] = [];
  let i = np - 1;
  let j = neg.length - 1;
  let tp = 0;
  let fp = 0;
  while (i >= 0 || j >= 0) {
    const t = Math.max(i >= 0 ? pos[i]! : -Infinity, j >= 0 ? neg[j]! : -Infinity);
    while (i >= 0 && pos[i] === t) {
      tp++;
      i--;
    }
    while (j >= 0 && neg[j] === t) {
      fp++;
      j--;
    }
    thresholds.push(t);
    tps.push(tp);
    fps.push(fp);
  }
  return { thresholds, tps, fps, positives: np, negatives: neg.length };
}

export function rocCurve(labels: ArrayLike<number>, scores: ArrayLike<number>): RocCurve {
  const c = cumulative(labels, scores);
  const fpr = [0, ...c.fps.map((f) => (c.negatives ? f / c.negatives : NaN))];
  const tpr = [0, ...c.tps.map((t) => (c.positives ? t / c.positives : NaN))];
  return { fpr, tpr, thresholds: [Infinity, ...c.thresholds] };
}

/** Area under the ROC curve; null when one class is absent (undefined, as scikit-learn raises). */
export function rocAuc(labels: ArrayLike<number>, scores: ArrayLike<number>): number | null {
  const c = cumulative(labels, scores);
  if (!c.positives || !c.negatives) return null;
  let area = 0;
  let pf = 0;
  let pt = 0;
  for (let k = 0; k < c.thresholds.length; k++) {
    const f = c.fps[k]! / c.negatives;
    const t = c.tps[k]! / c.positives;
    area += ((f - pf) * (t + pt)) / 2;
    pf = f;
    pt = t;
  }
  return area;
}

export function prCurve(labels: ArrayLike<number>, scores: ArrayLike<number>): PrCurve {
  const c = cumulative(labels, scores);
  const precision = c.tps.map((t, k) => t / (t + c.fps[k]!));
  const recall = c.tps.map((t) => (c.positives ? t / c.positives : NaN));
  return { precision, recall, thresholds: c.thresholds };
}

/** Σ (R_k − R_{k−1}) · P_k over the thresholds, highest first; null without positives. */
export function averagePrecision(labels: ArrayLike<number>, scores: ArrayLike<number>): number | null {
  const c = cumulative(labels, scores);
  if (!c.positives) return null;
  let ap = 0;
  let prevR = 0;
  for (let k = 0; k < c.thresholds.length; k++) {
    const r = c.tps[k]! / c.positives;
    ap += (r - prevR) * (c.tps[k]! / (c.tps[k]! + c.fps[k]!));
    prevR = r;
  }
  return ap;
}

/** Keeps at most `max` points of a curve (first and last kept) so metrics.json stays readable. */
export function thinCurve<T extends Record<string, number[]>>(curve: T, max = 200): T {
  const n = Object.values(curve)[0]?.length ?? 0;
  if (n <= max) return curve;
  const keep: number[] = [];
  for (let i = 0; i < max; i++) keep.push(Math.round((i * (n - 1)) / (max - 1)));
  return Object.fromEntries(Object.entries(curve).map(([k, v]) => [k, keep.map((i) => v[i]!)])) as T;
}

/**
 * ROC-AUC of bootstrap resamples in O(n) each: the full sample is sorted once (tie groups kept),
 * a resample is a count per item, and AUC = Σ_pos c_i · (weighted negatives below + ½ tied) / (P·N)
 * — the Mann-Whitney form, equal to the trapezoid area. Returns null when a class is absent.
 */
export function resampledAuc(labels: ArrayLike<number>, scores: ArrayLike<number>): (indices: Uint32Array) => number | null {
  const n = labels.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const s = Float64Array.from(scores as ArrayLike<number>);
  order.sort((a, b) => s[a]! - s[b]!);
  // Group starts in ascending score order.
  const starts: number[] = [];
  for (let k = 0; k < n; k++) if (k === 0 || s[order[k]!] !== s[order[k - 1]!]) starts.push(k);
  starts.push(n);
  const counts = new Uint32Array(n);
  return (idx) => {
    counts.fill(0);
    for (let k = 0; k < idx.length; k++) counts[idx[k]!]!++;
    let negBelow = 0;
    let sum = 0;
    let P = 0;
    for (let g = 0; g + 1 < starts.length; g++) {
      let pw = 0;
      let nw = 0;
      for (let k = starts[g]!; k < starts[g + 1]!; k++) {
        const i = order[k]!;
        if (labels[i]) pw += counts[i]!;
        else nw += counts[i]!;
      }
      sum += pw * (negBelow + nw / 2);
      negBelow += nw;
      P += pw;
    }
    return P && negBelow ? sum / (P * negBelow) : null;
  };
}

/**
 * The same resampled ROC-AUC from draw counts (`w[i]` = times item i was drawn): items sorted once,
 * their labels and tie-group ends laid out in that order, so a round is one sequential pass.
 * Equal to `resampledAuc` on the indices that gave the counts.
 */
export function countAuc(labels: ArrayLike<number>, scores: ArrayLike<number>): (w: Uint32Array) => number | null {
  const n = labels.length;
  const s = Float64Array.from(scores as ArrayLike<number>);
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => s[a]! - s[b]!);
  const positive = new Uint8Array(n);
  const groupEnd = new Uint8Array(n);
  for (let k = 0; k < n; k++) {
    positive[k] = labels[order[k]!] ? 1 : 0;
    groupEnd[k] = k === n - 1 || s[order[k + 1]!] !== s[order[k]!] ? 1 : 0;
  }
  return (w) => {
    let negBelow = 0;
    let sum = 0;
    let P = 0;
    let pw = 0;
    let nw = 0;
    for (let k = 0; k < n; k++) {
      const c = w[order[k]!]!;
      // Branch-free on the label (random per item: a branch would mispredict half the time).
      const p = positive[k]!;
      pw += c * p;
      nw += c * (1 - p);
      if (groupEnd[k]) {
        sum += pw * (negBelow + nw / 2);
        negBelow += nw;
        P += pw;
        pw = 0;
        nw = 0;
      }
    }
    return P && negBelow ? sum / (P * negBelow) : null;
  };
}
