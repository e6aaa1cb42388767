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

/** Counts at every distinct score, highest first: one sort, then each objective is a scan. */
function sweep(labels: ArrayLike<number>, scores: ArrayLike<number>): { t: number[]; tp: number[]; fp: number[]; P: number; N: number } {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  const out = { t: [] as number[], tp: [] as number[], fp: [] as number[], P: 0, N: 0 };
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < order.length; k++) {
    const i = order[k]!;
    if (labels[i]) tp++;
    else fp++;
    if (k === order.length - 1 || scores[order[k + 1]!] !== scores[i]) {
      out.t.push(scores[i]!);
      out.tp.push(tp);
      out.fp.push(fp);
    }
  }
  out.P = tp;
  out.N = fp;
  return out;
}

/**
 * Below this many images of a class, a proposed threshold is fitted to a handful of scores (on a
 * cleanly separated 2 + 2 set the F1-optimal threshold lands on the lowest defect score, e.g.
 * 0.99999, and would pass a porosity view at 0.9999): the proposal says so wherever it is shown.
 * 30 per class: the usual floor for a first estimate of a rate with a usable interval.
 */
export const MIN_IMAGES_PER_CLASS = 30;

function smallSetNote(positives: number, negatives: number, objective: Objective): string | undefined {
  const short = objective.kind === 'sigma' ? negatives < MIN_IMAGES_PER_CLASS : positives < MIN_IMAGES_PER_CLASS || negatives < MIN_IMAGES_PER_CLASS;
  if (!short) return undefined;
  return `only ${positives} defect and ${negatives} normal images: too few for this threshold to hold on new parts (at least ${MIN_IMAGES_PER_CLASS} of each recommended); evaluate on more images before applying`;
}

function withNote(p: Proposal, extra: string | undefined): Proposal {
  if (!extra) return p;
  return { ...p, note: p.note ? `${p.note}; ${extra}` : extra };
}

export function propose(labels: ArrayLike<number>, scores: ArrayLike<number>, objective: Objective): Proposal {
  const positives = Array.from(labels).filter(Boolean).length;
  return withNote(proposeOn(labels, scores, objective), smallSetNote(positives, labels.length - positives, objective));
}

function proposeOn(labels: ArrayLike<number>, scores: ArrayLike<number>, objective: Objective): Proposal {
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
  const c = sweep(labels, scores);
  if (objective.kind === 'f1') {
    // The highest threshold reaching the best F1 (2·TP / (2·TP + FP + FN)).
    let best = 0;
    let bestF1 = -1;
    for (let k = 0; k < c.t.length; k++) {
      const f1 = (2 * c.tp[k]!) / (c.tp[k]! + c.fp[k]! + c.P);
      if (f1 > bestF1) {
        bestF1 = f1;
        best = k;
      }
    }
    return { objective: name, point: operatingPoint(labels, scores, c.t[best]!) };
  }
  if (objective.kind === 'recall') {
    // The highest threshold that still catches the target share of defects.
    const k = c.tp.findIndex((tp) => tp / c.P >= objective.target);
    return { objective: name, point: operatingPoint(labels, scores, c.t[k]!) };
  }
  // The lowest threshold whose false-alarm rate stays within the target (catches the most).
  let k = -1;
  while (k + 1 < c.t.length && c.fp[k + 1]! / c.N <= objective.target) k++;
  if (k < 0) return { objective: name, point: operatingPoint(labels, scores, c.t[0]! + 1e-9), note: 'no score keeps the false-alarm rate that low; threshold above every score' };
  return { objective: name, point: operatingPoint(labels, scores, c.t[k]!) };
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
