/**
 * Classification metrics on labelled predictions: confusion matrix, per-class precision / recall /
 * F1 (scikit-learn's `zero_division=0`), accuracy, one-vs-rest ROC-AUC and average precision per
 * class with curves, score histograms per true class, all with bootstrap intervals over images.
 */
import { bootstrapCounts, type CountStatistic, type Interval } from './bootstrap';
import { averagePrecision, countAuc, prCurve, rocAuc, rocCurve, thinCurve, type PrCurve, type RocCurve } from './curves';

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

/** Each item's tie group in ascending score order (0 = lowest score). */
function rankGroups(scores: Float64Array): Int32Array {
  const order = Uint32Array.from(scores, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  const g = new Int32Array(scores.length);
  let id = 0;
  for (let k = 0; k < order.length; k++) {
    if (k > 0 && scores[order[k]!] !== scores[order[k - 1]!]) id++;
    g[order[k]!] = id;
  }
  return g;
}

export function classificationMetrics(preds: readonly LabelledPrediction[], classes: readonly string[], opts: ClassificationOptions = {}): ClassificationMetrics {
  return classificationMetricsWith(preds, classes, opts, []).metrics;
}

/**
 * The same, with more count statistics over the same items bootstrapped on the same resamples
 * (one set of draws per round instead of two): their intervals come back in `extra`.
 */
export function classificationMetricsWith(
  preds: readonly LabelledPrediction[],
  classes: readonly string[],
  opts: ClassificationOptions,
  extraStatistics: readonly CountStatistic[],
  /** More ROC-AUCs on the same resamples; one equal to a class's (same labels and scores) is computed once. */
  extraAucs: readonly { labels: ArrayLike<number>; scores: ArrayLike<number> }[] = [],
): { metrics: ClassificationMetrics; extra: (Interval | null)[][]; extraAuc: (Interval | null)[] } {
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
  const tCode = Int32Array.from(truth, (t) => row.get(t) ?? K);
  const pCode = Int32Array.from(pred, (p) => col.get(p)!);
  // Per round one pass over the draw counts and the integer-coded truth and prediction gives the
  // confusion counts every per-class statistic reads: accuracy, then P / R / F1 per class.
  const tp = new Float64Array(K + 1);
  const predicted = new Float64Array(K + 1);
  const actual = new Float64Array(K + 1);
  const tHit = Uint8Array.from(tCode, (t, i) => (t >= 0 && t === pCode[i] ? 1 : 0));
  const confusion: CountStatistic = (w) => {
    tp.fill(0);
    predicted.fill(0);
    actual.fill(0);
    // Branch-free: a truth outside the classes counts in a spare last cell, read by nobody.
    for (let i = 0; i < n; i++) {
      const c = w[i]!;
      const t = tCode[i]!;
      predicted[pCode[i]!]! += c;
      actual[t]! += c;
      tp[t]! += tHit[i]! * c;
    }
    let ok = 0;
    for (let c = 0; c < classes.length; c++) ok += tp[c]!;
    const out: (number | null)[] = [n ? ok / n : null];
    // A resample with no prediction of this class has no precision (not 0), one without the class
    // no recall or F1: those resamples are skipped.
    for (let c = 0; c < classes.length; c++) {
      out.push(predicted[c] ? tp[c]! / predicted[c]! : null, actual[c] ? tp[c]! / actual[c]! : null, actual[c] ? (2 * tp[c]!) / (actual[c]! + predicted[c]!) : null);
    }
    return out;
  };
  const aucs: CountStatistic[] = [];
  // Two-class packs ask for the same AUC up to three times: the defect class, defect vs normal
  // (identical labels and scores), and the normal class — complementary labels ranked exactly in
  // reverse (ties alike), which counts the same positive-above-negative pairs. Each distinct AUC
  // is one statistic, computed once per round.
  const known: { y: Float64Array; s: Float64Array; groups: Int32Array; stat: CountStatistic }[] = [];
  const aucStatistic = (labels: ArrayLike<number>, scores: ArrayLike<number>): CountStatistic => {
    const y = Float64Array.from(labels as ArrayLike<number>);
    const sc = Float64Array.from(scores as ArrayLike<number>);
    const groups = rankGroups(sc);
    let G = 0;
    for (const g of groups) if (g > G) G = g;
    const same = known.find(
      (k) =>
        k.y.length === y.length &&
        ((k.y.every((v, i) => v === y[i]) && k.s.every((v, i) => v === sc[i])) ||
          (k.y.every((v, i) => v === 1 - y[i]!) && k.groups.every((g, i) => g === G - groups[i]!))),
    );
    if (same) return same.stat;
    const f = countAuc(y, sc);
    let lastRound = -1;
    let value: number | null = null;
    // Memoised by round: a shared statistic is asked twice per round, computed once.
    const stat: CountStatistic = (w, round) => {
      if (round !== lastRound) {
        value = f(w);
        lastRound = round;
      }
      return [value];
    };
    known.push({ y, s: sc, groups, stat });
    return stat;
  };
  const perClass: ClassMetrics[] = classes.map((label) => {
    const m = prf(truth, pred, label, all);
    const hasScore = preds.every((p) => Number.isFinite(p.scores[label]));
    const y = Float64Array.from(truth, (t) => (t === label ? 1 : 0));
    const s = Float64Array.from(preds, (p) => p.scores[label] ?? NaN);
    const auc = hasScore ? rocAuc(y, s) : null;
    if (auc !== null) {
      aucs.push(aucStatistic(y, s));
    } else aucs.push(() => [null]);
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
  const extraAucStats = extraAucs.map((a) => aucStatistic(a.labels, a.scores));
  const [conf, ...rest] = bootstrapCounts(n, [confusion, ...aucs, ...extraStatistics, ...extraAucStats], boot);
  const aucCis = rest.slice(0, aucs.length);
  perClass.forEach((c, k) => {
    c.precisionCi = conf![1 + 3 * k]!;
    c.recallCi = conf![2 + 3 * k]!;
    c.f1Ci = conf![3 + 3 * k]!;
    c.rocAucCi = c.rocAuc === null ? null : aucCis[k]![0]!;
  });
  const metrics: ClassificationMetrics = {
    n,
    classes: [...classes],
    matrix,
    predictedClasses,
    accuracy: acc(all) ?? 0,
    accuracyCi: conf![0]!,
    perClass,
    macroF1: perClass.reduce((a, c) => a + c.f1, 0) / Math.max(1, perClass.length),
  };
  return { metrics, extra: rest.slice(aucs.length, aucs.length + extraStatistics.length), extraAuc: rest.slice(aucs.length + extraStatistics.length).map((v) => v[0]!) };
}
