/**
 * The live threshold trade-off of one evaluated pack: each image's truth (defect or not), defect
 * score, recorded run and histogram bin, and thresholds chosen by objective from those, so the
 * UI can move a threshold, count the confusion at it and apply what it chose. A new file beside
 * `thresholds.ts` (which it only calls): the objectives themselves are defined there.
 */
import { InspectorError } from '../../shared/errors';
import { HISTOGRAM_BINS } from './metrics/classification';
import { objectiveName, operatingPoint, propose, uncertainBand, type OperatingPoint } from './thresholds';
import type { PackEvaluation, Prediction } from './evaluate';

/** How a threshold was chosen: an objective of `thresholds.ts`, the uncertain band, or by hand. */
export type ThresholdChoice =
  | { kind: 'f1' }
  | { kind: 'recall'; target: number }
  | { kind: 'false-alarm'; target: number }
  | { kind: 'sigma'; k: number }
  | { kind: 'band'; recallTarget: number; falseAlarmTarget: number }
  | { kind: 'manual'; threshold: number };

export interface ChosenThreshold {
  /** As recorded in a threshold version: `f1-optimal`, `recall>=0.99`, …, `band`, `manual`. */
  objective: string;
  low: number;
  high: number;
  /** Band: share of images with low ≤ score < high (sent to a person); null for one threshold. */
  humanShare: number | null;
  /** At `high` (one threshold: the operating point; band: everything below T2 passed). */
  point: OperatingPoint;
  /** Band: at T1 (everything from T1 up flagged). */
  atLow?: OperatingPoint;
  note?: string;
}

export interface TradeoffImage {
  runId: number | null;
  path: string;
  /** The image's label in the set. */
  label: string;
  /** 1 when the label is a defect for this pack (as the evaluation counts it), else 0. */
  truth: 0 | 1;
  predicted: string;
  /** The defect score the evaluation ranked and thresholded (the unit of `binary.threshold`). */
  score: number;
  /** The bin of `binary.histogram` the image is counted in. */
  bin: number;
}

export function choiceObjective(c: ThresholdChoice): string {
  if (c.kind === 'band') return 'band';
  if (c.kind === 'manual') return 'manual';
  return objectiveName(c.kind === 'sigma' ? { kind: 'sigma', k: c.k } : c);
}

/** The threshold a choice gives on these labels and scores (score ≥ threshold is a defect). */
export function chooseThreshold(labels: ArrayLike<number>, scores: ArrayLike<number>, c: ThresholdChoice): ChosenThreshold {
  if (c.kind === 'manual') {
    if (!Number.isFinite(c.threshold)) throw new InspectorError('EVAL_BAD_OBJECTIVE', `A threshold must be a finite number; got ${c.threshold}.`);
    return { objective: 'manual', low: c.threshold, high: c.threshold, humanShare: null, point: operatingPoint(labels, scores, c.threshold) };
  }
  if (c.kind === 'band') {
    const b = uncertainBand(labels, scores, c.recallTarget, c.falseAlarmTarget);
    return { objective: 'band', low: b.low, high: b.high, humanShare: b.humanShare, point: b.atHigh, atLow: b.atLow };
  }
  const p = propose(labels, scores, c.kind === 'sigma' ? { kind: 'sigma', k: c.k } : c);
  return { objective: p.objective, low: p.point.threshold, high: p.point.threshold, humanShare: null, point: p.point, ...(p.note ? { note: p.note } : {}) };
}

/**
 * One row per evaluated image of `pack`: truth as the evaluation counts it (a label that is the
 * set's normal label or one of the pack's normal labels is not a defect) and the histogram bin
 * over `binary.histogramRange` the way `metrics/classification.histogram` bins it.
 */
export function tradeoffImages(pack: PackEvaluation, predictions: readonly Prediction[], normalLabel: string, runIdOf: (path: string) => number | null): TradeoffImage[] {
  const [lo, hi] = pack.binary.histogramRange;
  const rel = (v: number) => (hi > lo ? (v - lo) / (hi - lo) : 0);
  return predictions
    .filter((p) => p.pack === pack.pack.name)
    .map((p) => ({
      runId: runIdOf(p.path),
      path: p.path,
      label: p.label,
      truth: p.label === normalLabel || pack.pack.normalLabels.includes(p.label) ? 0 : 1,
      predicted: p.predicted,
      score: p.defectScore,
      bin: Math.max(0, Math.min(HISTOGRAM_BINS - 1, Math.floor(rel(p.defectScore) * HISTOGRAM_BINS))),
    }));
}
