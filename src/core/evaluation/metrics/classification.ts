/**
 * Classification metrics on labelled predictions: confusion matrix, per-class precision / recall /
 * F1 (scikit-learn's `zero_division=0`), accuracy, one-vs-rest ROC-AUC and average precision per
 * class with curves, score histograms per true class, all with bootstrap intervals over images.
 */
import { bootstrapIntervals, perRound, type Interval } from './bootstrap';
import { averagePrecision, prCurve, resampledAuc, rocAuc, rocCurve, thinCurve, type PrCurve, type RocCurve } from './curves';

export interface LabelledPrediction {
  path: string;
  /** The truth. */
  label: string;
  predicted: string;
  /** Score per class, 0–1 (probabilities for classifiers, normalised anomaly score for detectors). */
  scores: Record<string, number>;
}

export interface ClassMetrics {
  label: string;
  support: number;
  precision: number;
  recall: number;
  f1: number;
  precisionCi: Interval | null;
  recallCi: Interval | null;
  f1Ci: Interval | null;
  /** One-vs-rest on score_<label>; null when the class or its complement is absent, or no score. */
  rocAuc: number | null;
  rocAucCi: Interval | null;
  averagePrecision: number | null;
  roc: RocCurve | null;
  pr: PrCurve | null;
  /** Histogram of score_<label> per true class: 20 bins over [0, 1]. */
  histogram: Record<string, number[]> | null;
}

export interface ClassificationMetrics {
  n: number;
  classes: string[];
  /** Rows: truth, columns: predicted, in `classes` order (+ any predicted label not in classes). */
  matrix: number[][];
  predictedClasses: string[];
  accuracy: number;
  accuracyCi: Interval | null;
  perClass: ClassMetrics[];
  macroF1: number;
}

export const HISTOGRAM_BINS = 20;

export function histogram(values: number[], bins = HISTOGRAM_BINS): number[] {
  const h = new Array<number>(bins).fill(0);
  for (const v of values) h[Math.max(0, Math.min(bins - 1, Math.floor(v * bins)))]!++;
  return h;
}

function prf(truth: readonly string[], pred: readonly string[], label: string, idx: ArrayLike<number>) {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k]!;
    const t = truth[i] === label;
    const p = pred[i] === label;
    if (t && p) tp++;
    else if (p) fp++;
    else if (t) fn++;
  }
  const precision = tp + fp ? tp / (tp + fp) : 0;
  const recall = tp + fn ? tp / (tp + fn) : 0;
  const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
  return { precision, recall, f1, support: tp + fn };
}

export interface ClassificationOptions {
  bootstrapRounds?: number;
  seed?: number;
  /** Skip curves and histograms (the benchmark's metric-only timing keeps them; reports need them). */
  curves?: boolean;
}

export function classificationMetrics(preds: readonly LabelledPrediction[], classes: readonly string[], opts: ClassificationOptions = {}): ClassificationMetrics {
  const n = preds.length;
  const truth = preds.map((p) => p.label);
  const pred = preds.map((p) => p.predicted);
  const predictedClasses = [...classes, ...[...new Set(pred)].filter((c) => !classes.includes(c)).sort()];
  const col = new Map(predictedClasses.map((c, i) => [c, i]));
  const row = new Map(classes.map((c, i) => [c, i]));
  const matrix = classes.map(() => new Array<number>(predictedClasses.length).fill(0));
  for (const p of preds) {
    const r = row.get(p.label);
    if (r !== undefined) matrix[r]![col.get(p.predicted)!]!++;
  }
  const all = Uint32Array.from({ length: n }, (_, i) => i);
  const boot = { ...(opts.bootstrapRounds !== undefined ? { rounds: opts.bootstrapRounds } : {}), ...(opts.seed !== undefined ? { seed: opts.seed } : {}) };
  const acc = (idx: ArrayLike<number>) => {
    let ok = 0;
    for (let k = 0; k < idx.length; k++) if (truth[idx[k]!] === pred[idx[k]!]) ok++;
    return idx.length ? ok / idx.length : null;
  };
  const curves = opts.curves ?? true;
  // Every interval from one set of resamples, and per round one pass over the integer-coded
  // truth and prediction builds the confusion counts all per-class statistics read.
  const K = predictedClasses.length;
  const tCode = Int32Array.from(truth, (t) => row.get(t) ?? -1);
  const pCode = Int32Array.from(pred, (p) => col.get(p)!);
  const confusion = perRound((idx) => {
    const tp = new Float64Array(K);
    const predicted = new Float64Array(K);
    const actual = new Float64Array(K);
    let ok = 0;
    for (let k = 0; k < idx.length; k++) {
      const i = idx[k]!;
      const t = tCode[i]!;
      const q = pCode[i]!;
      predicted[q]!++;
      if (t >= 0) actual[t]!++;
      if (t === q) {
        tp[t]!++;
        ok++;
      }
    }
    return { tp, predicted, actual, accuracy: idx.length ? ok / idx.length : null };
  });
  const stats: ((idx: Uint32Array, round: number) => number | null)[] = [(idx, r) => confusion(idx, r).accuracy];
  const bases: number[] = [];
  const perClass: ClassMetrics[] = classes.map((label, c) => {
    const m = prf(truth, pred, label, all);
    const hasScore = preds.every((p) => Number.isFinite(p.scores[label]));
    const y = Float64Array.from(truth, (t) => (t === label ? 1 : 0));
    const s = Float64Array.from(preds, (p) => p.scores[label] ?? NaN);
    const auc = hasScore ? rocAuc(y, s) : null;
    bases.push(stats.length);
    // A resample with no prediction of this class has no precision (not 0), one without the class
    // no recall or F1: those resamples are skipped.
    const precision = (idx: Uint32Array, r: number) => {
      const m = confusion(idx, r);
      return m.predicted[c] ? m.tp[c]! / m.predicted[c]! : null;
    };
    const recall = (idx: Uint32Array, r: number) => {
      const m = confusion(idx, r);
      return m.actual[c] ? m.tp[c]! / m.actual[c]! : null;
    };
    stats.push(precision, recall, (idx, r) => {
      const m = confusion(idx, r);
      return m.actual[c] ? (2 * m.tp[c]!) / (m.actual[c]! + m.predicted[c]!) : null;
    }, auc !== null ? resampledAuc(y, s) : () => null);
    return {
      label,
      support: m.support,
      precision: m.precision,
      recall: m.recall,
      f1: m.f1,
      precisionCi: null,
      recallCi: null,
      f1Ci: null,
      rocAuc: auc,
      rocAucCi: null,
      averagePrecision: hasScore ? averagePrecision(y, s) : null,
      roc: hasScore && curves && auc !== null ? thinCurve(rocCurve(y, s) as unknown as Record<string, number[]>) as unknown as RocCurve : null,
      pr: hasScore && curves && auc !== null ? thinCurve(prCurve(y, s) as unknown as Record<string, number[]>) as unknown as PrCurve : null,
      histogram: hasScore && curves ? Object.fromEntries(classes.map((c) => [c, histogram(preds.filter((p) => p.label === c).map((p) => p.scores[label]!))])) : null,
    };
  });
  const cis = bootstrapIntervals(n, stats, boot);
  perClass.forEach((c, k) => {
    const b = bases[k]!;
    c.precisionCi = cis[b]!;
    c.recallCi = cis[b + 1]!;
    c.f1Ci = cis[b + 2]!;
    c.rocAucCi = c.rocAuc === null ? null : cis[b + 3]!;
  });
  return {
    n,
    classes: [...classes],
    matrix,
    predictedClasses,
    accuracy: acc(all) ?? 0,
    accuracyCi: cis[0]!,
    perClass,
    macroF1: perClass.reduce((a, c) => a + c.f1, 0) / Math.max(1, perClass.length),
  };
}
