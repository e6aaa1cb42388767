/**
 * Display math of the live trade-off, on the images the host sent with the evaluation: counts
 * at a threshold (score ≥ threshold is a defect, as the core counts them) and the slider's
 * steps. The scores of each true class are sorted once (`rank`); then a slider move is two
 * binary searches, microseconds at any set size, where a host round trip costs more than that
 * before Electron's process hop (`npm run bench -- tradeoff`), so it is done here.
 */
import type { OperatingPoint, TradeoffImage } from '../../../shared/evaluation';

export function countsAt(images: readonly Pick<TradeoffImage, 'truth' | 'score'>[], threshold: number): OperatingPoint {
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  for (const i of images) {
    const flagged = i.score >= threshold;
    if (i.truth) {
      if (flagged) tp++;
      else fn++;
    } else if (flagged) fp++;
    else tn++;
  }
  const precision = tp + fp ? tp / (tp + fp) : 0;
  const recall = tp + fn ? tp / (tp + fn) : 0;
  return { threshold, tp, fp, tn, fn, precision, recall, f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0, falseAlarmRate: fp + tn ? fp / (fp + tn) : 0 };
}

export interface Ranked {
  /** Scores of truly defective images, ascending. */
  pos: Float64Array;
  /** Scores of truly normal images, ascending. */
  neg: Float64Array;
}

export function rank(images: readonly Pick<TradeoffImage, 'truth' | 'score'>[]): Ranked {
  const pos = Float64Array.from(images.filter((i) => i.truth).map((i) => i.score)).sort();
  const neg = Float64Array.from(images.filter((i) => !i.truth).map((i) => i.score)).sort();
  return { pos, neg };
}

/** How many of the ascending `a` are ≥ t. */
function atOrAbove(a: Float64Array, t: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! >= t) hi = mid;
    else lo = mid + 1;
  }
  return a.length - lo;
}

/** The same counts as `countsAt`, from the ranked scores. */
export function countsRanked(r: Ranked, threshold: number): OperatingPoint {
  const tp = atOrAbove(r.pos, threshold);
  const fp = atOrAbove(r.neg, threshold);
  const fn = r.pos.length - tp;
  const tn = r.neg.length - fp;
  const precision = tp + fp ? tp / (tp + fp) : 0;
  const recall = tp + fn ? tp / (tp + fn) : 0;
  return { threshold, tp, fp, tn, fn, precision, recall, f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0, falseAlarmRate: fp + tn ? fp / (fp + tn) : 0 };
}

/**
 * Slider steps: every distinct score, ascending, and one step above the highest (nothing
 * flagged). Between two steps the counts do not change, so one arrow press is one image.
 */
export function thresholdSteps(images: readonly Pick<TradeoffImage, 'score'>[]): number[] {
  const s = [...new Set(images.map((i) => i.score))].sort((a, b) => a - b);
  if (!s.length) return [0.5];
  const top = s[s.length - 1]!;
  s.push(top + Math.max(Math.abs(top) * 1e-6, 1e-9));
  return s;
}

/** The step whose counts equal those at `threshold`: the lowest step ≥ threshold. */
export function stepOf(steps: readonly number[], threshold: number): number {
  let lo = 0;
  let hi = steps.length - 1;
  if (threshold > steps[hi]!) return hi;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (steps[mid]! >= threshold) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Which cell of the 2×2 confusion an image falls in at `threshold`. */
export function cellOf(i: Pick<TradeoffImage, 'truth' | 'score'>, threshold: number): 'tp' | 'fp' | 'tn' | 'fn' {
  const flagged = i.score >= threshold;
  return i.truth ? (flagged ? 'tp' : 'fn') : flagged ? 'fp' : 'tn';
}
