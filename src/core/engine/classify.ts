/**
 * Class scores → probabilities → decision. The decision works on a defect score (the probability
 * mass of labels whose severity is not `none`) against the pack's two thresholds: below `low`
 * passes, at or above `high` is a defect, in between is UNCERTAIN — so a borderline part goes to a
 * person instead of being forced either way.
 */
import { InspectorError } from '../../shared/errors';
import type { Manifest } from '../packs/manifest';

export type ClassDecision = 'pass' | 'defect' | 'uncertain';

export interface ClassScores {
  /** Label ids in output order: probabilities[i] belongs to labels[i]. */
  labels: string[];
  probabilities: number[];
  topClass: number;
  topLabel: string;
  topProbability: number;
  /** Probability mass of defect labels (or of the top class when no label is marked normal). */
  defectScore: number;
  decision: ClassDecision;
  /** The defect label that drives a defect/uncertain decision, the normal label otherwise. */
  drivingLabel: string;
  /** The pack's two thresholds on defectScore, recorded with every result for audit. */
  thresholds: { low: number; high: number };
}

export function softmax(logits: ArrayLike<number>): number[] {
  const max = Math.max(...Array.from(logits));
  const e = Array.from(logits, (v) => Math.exp(v - max));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

export function scoreClasses(raw: ArrayLike<number>, manifest: Manifest, outputIsProbability: boolean): ClassScores {
  const activation = manifest.decision?.activation ?? 'softmax';
  // A dynamic class dimension is only known now: the same rule as the load-time check.
  if (manifest.labels.length > 0 && raw.length !== manifest.labels.length) {
    throw new InspectorError('PACK_LABELS_MISMATCH', `The model produced ${raw.length} class value(s) but the pack lists ${manifest.labels.length} label(s).`, {
      classes: raw.length,
      labels: manifest.labels.length,
    });
  }
  const probabilities = outputIsProbability || activation === 'none'
    ? Array.from(raw)
    : activation === 'sigmoid'
      ? Array.from(raw, (v) => 1 / (1 + Math.exp(-v)))
      : softmax(raw);
  let top = 0;
  probabilities.forEach((p, i) => (p > probabilities[top]! ? (top = i) : undefined));
  const labels = manifest.labels;
  const isNormal = (i: number) => labels[i]?.severity === 'none';
  const hasNormal = labels.some((l) => l.severity === 'none');
  const defectIdx = probabilities.map((_, i) => i).filter((i) => !isNormal(i));
  const defectScore = hasNormal
    ? activation === 'sigmoid' ? Math.max(0, ...defectIdx.map((i) => probabilities[i]!)) : defectIdx.reduce((s, i) => s + probabilities[i]!, 0)
    : probabilities[top]!;
  const low = manifest.decision?.low ?? 0.5;
  const high = manifest.decision?.high ?? 0.5;
  const decision: ClassDecision = defectScore >= high ? 'defect' : defectScore < low ? 'pass' : 'uncertain';
  let driving = top;
  if (decision !== 'pass' && isNormal(top) && defectIdx.length) driving = defectIdx.reduce((a, b) => (probabilities[b]! > probabilities[a]! ? b : a));
  return {
    labels: probabilities.map((_, i) => labels[i]?.id ?? String(i)),
    probabilities,
    topClass: top,
    topLabel: labels[top]?.id ?? String(top),
    topProbability: probabilities[top]!,
    defectScore,
    decision,
    drivingLabel: labels[driving]?.id ?? String(driving),
    thresholds: { low, high },
  };
}
