/**
 * The integrated verdict of one case: the internal side (X-ray/CT classifier) and the external side
 * (RGB anomaly model) — either may be absent — combined by weighted average, voting or ordered
 * rules from inspector.yaml. Pure: the same side results and the same config give the same verdict.
 */
import type { CaseVerdictName, InspectorConfig, VerdictName } from './config';

export type Side = 'internal' | 'external';

export interface SideResult {
  /** Highest defect score (0–1) among the side's images; the one that decides. */
  defectScore: number;
  decision: 'pass' | 'defect' | 'uncertain';
  /** Class (classifier) or `anomaly` behind that score. */
  drivingLabel?: string;
  /** Which image drove it. */
  source?: string;
  /** Best score per finding label (grounding box phrases) over the side's images. */
  labelScores?: Record<string, number>;
}

/** An image of the case that could not be read or inspected: why, and on which side. */
export interface FailedImage {
  source: string;
  code: string;
  message: string;
  side?: Side;
  pack?: string;
}

export interface Verdict {
  verdict: CaseVerdictName;
  method: InspectorConfig['verdict']['method'];
  /** weighted_average: the combined score; voting/rules: the highest side score. */
  score: number;
  drivingSide?: Side;
  drivingClass?: string;
  /** Index of the rule that matched (rule_based). */
  rule?: number;
  configSha256: string;
  sides: Partial<Record<Side, SideResult>>;
  /** Images that could not be read or inspected; when present the verdict is never PASS. */
  failedImages?: FailedImage[];
  /** With failed images: what the images that were inspected give on their own. */
  inspectedVerdict?: VerdictName;
  /** With failed images: the `verdict.incomplete` policy that turned them into this verdict. */
  incompletePolicy?: InspectorConfig['verdict']['incomplete'];
}

function defectVerdict(sides: Partial<Record<Side, SideResult>>, defective: Side[]): Pick<Verdict, 'verdict' | 'drivingSide' | 'drivingClass'> {
  if (defective.length === 2) {
    const lead: Side = sides.internal!.defectScore >= sides.external!.defectScore ? 'internal' : 'external';
    return { verdict: 'COMBINED_DEFECT', drivingSide: lead, ...(sides[lead]!.drivingLabel ? { drivingClass: sides[lead]!.drivingLabel } : {}) };
  }
  const side = defective[0]!;
  return { verdict: side === 'internal' ? 'INTERNAL_DEFECT' : 'EXTERNAL_DEFECT', drivingSide: side, ...(sides[side]!.drivingLabel ? { drivingClass: sides[side]!.drivingLabel } : {}) };
}

function matches(cond: string | undefined, side: SideResult | undefined): boolean {
  if (cond === undefined || cond === 'any') return true;
  if (cond === 'absent') return side === undefined;
  if (!side) return false;
  if (cond === 'defect' || cond === 'pass' || cond === 'uncertain') return side.decision === cond;
  const m = /^(?:([a-z0-9][a-z0-9 _-]*?)\s+)?(>=|<=|>|<)\s*([0-9.]+)$/.exec(cond)!;
  const v = Number(m[3]);
  // "label >= t": that label's best score; a label the side never reported scores 0.
  const s = m[1] !== undefined ? (side.labelScores?.[m[1]] ?? 0) : side.defectScore;
  return m[2] === '>=' ? s >= v : m[2] === '<=' ? s <= v : m[2] === '>' ? s > v : s < v;
}

export function integrate(sides: Partial<Record<Side, SideResult>>, config: InspectorConfig, configSha256: string): Verdict {
  const v = config.verdict;
  const present = (['internal', 'external'] as const).filter((s) => sides[s]);
  const base = { method: v.method, configSha256, sides };
  const maxScore = Math.max(0, ...present.map((s) => sides[s]!.defectScore));
  if (present.length === 0) return { ...base, verdict: 'UNCERTAIN', score: 0 };
  const defective = present.filter((s) => sides[s]!.decision === 'defect');

  if (v.method === 'rule_based') {
    const i = v.rules.findIndex((r) => matches(r.when.internal, sides.internal) && matches(r.when.external, sides.external));
    const verdict = i >= 0 ? v.rules[i]!.verdict : v.default;
    let driving: Side | undefined;
    if (verdict === 'INTERNAL_DEFECT') driving = 'internal';
    else if (verdict === 'EXTERNAL_DEFECT') driving = 'external';
    else if (verdict === 'COMBINED_DEFECT' || verdict === 'UNCERTAIN') driving = present.reduce((a, b) => (sides[b]!.defectScore > sides[a]!.defectScore ? b : a));
    const cls = driving ? sides[driving]?.drivingLabel : undefined;
    return { ...base, verdict, score: maxScore, ...(i >= 0 ? { rule: i } : {}), ...(driving && verdict !== 'PASS' ? { drivingSide: driving } : {}), ...(cls && verdict !== 'PASS' ? { drivingClass: cls } : {}) };
  }

  if (v.method === 'voting') {
    if (defective.length >= Math.min(v.minDefectVotes, present.length)) {
      if (defective.length > 0) return { ...base, score: maxScore, ...defectVerdict(sides, defective) };
    }
    const unsure = present.filter((s) => sides[s]!.decision === 'uncertain' || sides[s]!.decision === 'defect');
    if (unsure.length) {
      const lead = unsure.reduce((a, b) => (sides[b]!.defectScore > sides[a]!.defectScore ? b : a));
      return { ...base, verdict: 'UNCERTAIN', score: maxScore, drivingSide: lead, ...(sides[lead]!.drivingLabel ? { drivingClass: sides[lead]!.drivingLabel } : {}) };
    }
    return { ...base, verdict: 'PASS', score: maxScore };
  }

  // weighted_average over the sides present (weights renormalised when one is missing).
  const wsum = present.reduce((s, side) => s + v.weights[side], 0);
  const score = wsum > 0 ? present.reduce((s, side) => s + v.weights[side] * sides[side]!.defectScore, 0) / wsum : maxScore;
  const lead = present.reduce((a, b) => (v.weights[b] * sides[b]!.defectScore > v.weights[a] * sides[a]!.defectScore ? b : a));
  // A low combined score never outvotes a side's own decision into PASS: each side was decided by
  // its pack's thresholds (possibly validated on this station and applied by the quality lead),
  // which the case thresholds here know nothing about. A side that said defect or uncertain makes
  // the case UNCERTAIN at least — a person decides — as the voting method does.
  const unsure = present.filter((s) => sides[s]!.decision !== 'pass');
  if (score < v.thresholds.pass) {
    if (unsure.length === 0) return { ...base, verdict: 'PASS', score };
    const first = unsure.reduce((a, b) => (sides[b]!.defectScore > sides[a]!.defectScore ? b : a));
    return { ...base, verdict: 'UNCERTAIN', score, drivingSide: first, ...(sides[first]!.drivingLabel ? { drivingClass: sides[first]!.drivingLabel } : {}) };
  }
  if (score < v.thresholds.defect) {
    return { ...base, verdict: 'UNCERTAIN', score, drivingSide: lead, ...(sides[lead]!.drivingLabel ? { drivingClass: sides[lead]!.drivingLabel } : {}) };
  }
  return { ...base, score, ...defectVerdict(sides, defective.length ? defective : [lead]) };
}

const isDefect = (v: CaseVerdictName) => v === 'INTERNAL_DEFECT' || v === 'EXTERNAL_DEFECT' || v === 'COMBINED_DEFECT';

/**
 * No verdict without evidence: a case with any failed image becomes INCOMPLETE (or, with
 * `verdict.incomplete: DEFECT`, a defect — the inspected images' own defect when they found one,
 * else a defect of the side(s) whose images failed). The failed images and what the inspected ones
 * said travel with it, so nothing is hidden behind the stricter outcome.
 */
export function withFailures(v: Verdict, failed: readonly FailedImage[], config: InspectorConfig): Verdict {
  if (failed.length === 0) return v;
  const inspectedVerdict = v.verdict as VerdictName;
  const base: Verdict = { ...v, failedImages: [...failed], inspectedVerdict, incompletePolicy: config.verdict.incomplete };
  if (config.verdict.incomplete === 'INCOMPLETE') {
    const { drivingSide: _s, drivingClass: _c, ...rest } = base;
    return { ...rest, verdict: 'INCOMPLETE' };
  }
  if (isDefect(inspectedVerdict)) return base;
  const sides = [...new Set(failed.map((f) => f.side).filter((s): s is Side => !!s))];
  const verdict: VerdictName = sides.length === 1 ? (sides[0] === 'internal' ? 'INTERNAL_DEFECT' : 'EXTERNAL_DEFECT') : 'COMBINED_DEFECT';
  const { drivingClass: _c, ...rest } = base;
  return { ...rest, verdict, ...(sides.length === 1 ? { drivingSide: sides[0]! } : {}) };
}
