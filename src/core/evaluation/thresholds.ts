/**
 * Thresholds from evidence: given the defect score and the truth of each image of an evaluation,
 * propose a decision threshold by an explicit objective, and an uncertain band (T1 < T2, Cognex's
 * two thresholds) whose images go to a person. Rule everywhere: score ≥ threshold is a defect.
 */
import { InspectorError } from '../../shared/errors';

export type Objective =
  | { kind: 'f1' }
  | { kind: 'recall'; target: number }
  | { kind: 'false-alarm'; target: number }
  | { kind: 'sigma'; k: number };

export interface OperatingPoint {
  threshold: number;
  tp: number;
  fp: number;
  tn: number;
  fn: number;
  precision: number;
  recall: number;
  f1: number;
  falseAlarmRate: number;
}

export interface Proposal {
  objective: string;
  point: OperatingPoint;
  note?: string;
}

export interface Band {
  low: number;
  high: number;
  /** Share of the evaluated images with low ≤ score < high: sent to a person. */
  humanShare: number;
  /** Operating points if the band's images were all decided as defects (low) or passes (high). */
  atLow: OperatingPoint;
  atHigh: OperatingPoint;
}

export function operatingPoint(labels: ArrayLike<number>, scores: ArrayLike<number>, threshold: number): OperatingPoint {
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  for (let i = 0; i < labels.length; i++) {
    const p = scores[i]! >= threshold;
    if (labels[i]) {
      if (p) tp++;
      else fn++;
    } else if (p) fp++;
    else tn++;
  }
  const precision = tp + fp ? tp / (tp + fp) : 0;
  const recall = tp + fn ? tp / (tp + fn) : 0;
  return { threshold, tp, fp, tn, fn, precision, recall, f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0, falseAlarmRate: fp + tn ? fp / (fp + tn) : 0 };
}

export function objectiveName(o: Objective): string {
  return o.kind === 'f1' ? 'f1-optimal' : o.kind === 'recall' ? `recall>=${o.target}` : o.kind === 'false-alarm' ? `false-alarm<=${o.target}` : `mean+${o.k}sigma`;
}

/** `f1`, `recall=0.99`, `false-alarm=0.01`, `sigma=3` → an objective, or USAGE. */
export function parseObjective(text: string): Objective {
  const [kind, value] = text.split('=');
  const v = Number(value);
  if (kind === 'f1' && value === undefined) return { kind: 'f1' };
  if ((kind === 'recall' || kind === 'false-alarm') && Number.isFinite(v) && v >= 0 && v <= 1) return { kind, target: v };
  if (kind === 'sigma' && Number.isFinite(v)) return { kind: 'sigma', k: v };
  throw new InspectorError('EVAL_BAD_OBJECTIVE', `Unknown threshold objective "${text}": use f1, recall=0.99, false-alarm=0.01 or sigma=3.`);
}

function distinctDescending(scores: ArrayLike<number>): number[] {
  return [...new Set(Array.from(scores))].sort((a, b) => b - a);
}

export function propose(labels: ArrayLike<number>, scores: ArrayLike<number>, objective: Objective): Proposal {
  const name = objectiveName(objective);
  const positives = Array.from(labels).filter(Boolean).length;
  const negatives = labels.length - positives;
  if (objective.kind === 'sigma') {
    const normal = Array.from(scores).filter((_, i) => !labels[i]);
    if (normal.length < 2) throw new InspectorError('EVAL_TOO_FEW_NORMALS', 'mean + k·σ needs at least two normal images in the set.');
    const mean = normal.reduce((a, b) => a + b, 0) / normal.length;
    const sd = Math.sqrt(normal.reduce((a, b) => a + (b - mean) ** 2, 0) / normal.length);
    return { objective: name, point: operatingPoint(labels, scores, mean + objective.k * sd), note: `mean ${mean.toPrecision(6)}, σ ${sd.toPrecision(6)} (population) of ${normal.length} normal images` };
  }
  if (!positives || !negatives) throw new InspectorError('EVAL_ONE_CLASS', `Proposing a threshold by ${name} needs both normal and defect images in the set.`);
  const candidates = distinctDescending(scores);
  if (objective.kind === 'f1') {
    let best = operatingPoint(labels, scores, candidates[0]!);
    for (const t of candidates.slice(1)) {
      const p = operatingPoint(labels, scores, t);
      if (p.f1 > best.f1) best = p;
    }
    return { objective: name, point: best };
  }
  if (objective.kind === 'recall') {
    // The highest threshold that still catches the target share of defects.
    for (const t of candidates) {
      const p = operatingPoint(labels, scores, t);
      if (p.recall >= objective.target) return { objective: name, point: p };
    }
  }
  if (objective.kind === 'false-alarm') {
    // The lowest threshold whose false-alarm rate stays within the target (catches the most).
    let best: OperatingPoint | null = null;
    for (const t of candidates) {
      const p = operatingPoint(labels, scores, t);
      if (p.falseAlarmRate <= objective.target) best = p;
      else break;
    }
    const p = best ?? operatingPoint(labels, scores, candidates[0]! + 1e-9);
    return { objective: name, point: p, ...(best ? {} : { note: 'no score keeps the false-alarm rate that low; threshold above every score' }) };
  }
  throw new InspectorError('EVAL_BAD_OBJECTIVE', `Cannot reach ${name} on this set.`);
}

/** T1 from the recall objective (catch defects), T2 from the false-alarm objective (spare good parts). */
export function uncertainBand(labels: ArrayLike<number>, scores: ArrayLike<number>, recallTarget: number, falseAlarmTarget: number): Band {
  const a = propose(labels, scores, { kind: 'recall', target: recallTarget }).point.threshold;
  const b = propose(labels, scores, { kind: 'false-alarm', target: falseAlarmTarget }).point.threshold;
  const low = Math.min(a, b);
  const high = Math.max(a, b);
  let inBand = 0;
  for (let i = 0; i < scores.length; i++) if (scores[i]! >= low && scores[i]! < high) inBand++;
  return { low, high, humanShare: scores.length ? inBand / scores.length : 0, atLow: operatingPoint(labels, scores, low), atHigh: operatingPoint(labels, scores, high) };
}
