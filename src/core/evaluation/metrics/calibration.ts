/**
 * Calibration of a positive-class probability: the reliability diagram (uniform bins, as
 * scikit-learn's `calibration_curve(strategy="uniform")`, empty bins dropped) and the expected
 * calibration error, Σ_b |B_b|/n · |frac_positive_b − mean_confidence_b|.
 */

export interface Reliability {
  /** Mean predicted probability per non-empty bin. */
  meanPredicted: number[];
  /** Fraction of positives per non-empty bin. */
  fractionPositive: number[];
  counts: number[];
  ece: number;
  bins: number;
}

export function reliability(labels: ArrayLike<number>, probs: ArrayLike<number>, bins = 10): Reliability {
  const sum = new Float64Array(bins);
  const pos = new Float64Array(bins);
  const cnt = new Float64Array(bins);
  const n = labels.length;
  // Edges as numpy's linspace makes them (k · step), and a probability exactly on an edge goes to
  // the lower bin, as scikit-learn's searchsorted(edges[1:-1], p) (side "left") puts it.
  const step = 1 / bins;
  const edges = Array.from({ length: bins - 1 }, (_, k) => (k + 1) * step);
  for (let i = 0; i < n; i++) {
    const p = probs[i]!;
    let b = Math.min(bins - 1, Math.max(0, Math.floor(p * bins)));
    while (b > 0 && p <= edges[b - 1]!) b--;
    while (b < bins - 1 && p > edges[b]!) b++;
    sum[b]! += p;
    pos[b]! += labels[i] ? 1 : 0;
    cnt[b]!++;
  }
  const out: Reliability = { meanPredicted: [], fractionPositive: [], counts: [], ece: 0, bins };
  for (let b = 0; b < bins; b++) {
    if (!cnt[b]) continue;
    const mp = sum[b]! / cnt[b]!;
    const fp = pos[b]! / cnt[b]!;
    out.meanPredicted.push(mp);
    out.fractionPositive.push(fp);
    out.counts.push(cnt[b]!);
    out.ece += (cnt[b]! / n) * Math.abs(fp - mp);
  }
  return out;
}
