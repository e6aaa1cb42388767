/**
 * What a published case's verdict becomes after its reviews: the verdict a correction message
 * carries beside the reviewer's per-image decision, so a PLC or MES does not have to re-derive the
 * case from image decisions. Pure: the same result and the same reviews give the same verdict, so
 * a correction rebuilt after a restart (OPC UA's LastCorrection, REST) is the one that was published.
 *
 * inspector.yaml's method is not rerun: a reviewer's call has no score for its thresholds or rules.
 * Instead each deciding image gets its effective (latest) review's call (an accept keeps the AI's);
 * a side with a reviewer's own call (anything but accept) is the worst of its images' calls; a side
 * without one keeps what it gave the published verdict; the sides combine in the history's
 * fallback order (`recomputeVerdict`: a defect, else UNCERTAIN, else PASS). Only accepts: the
 * published verdict stands.
 */
import { PASS_LABELS, recomputeVerdict } from '../history/caseVerdicts';
import { evaluationOf, type Evaluation, type StationResult, type StationVerdict } from './result';

/** One image's call: the AI's decision, or what a reviewer made of it. */
export type ImageCall = 'pass' | 'defect' | 'uncertain';

export interface ReviewedDecision {
  id: number;
  runId: number;
  decision: string;
  label: string | null;
}

export interface CorrectedVerdict {
  verdict: StationVerdict;
  evaluation: Evaluation;
  /** The corrected verdict differs from the published one. */
  changed: boolean;
  /** The effective review of each deciding run the verdict rests on, by id (oldest first). */
  reviewIds: number[];
  /**
   * `unchanged`: only accepts (the AI's calls stand, so does the verdict); `reviewed`: recomputed
   * with the reviewers' own calls (it may still equal the published verdict); `incomplete`: the case had missing views or
   * failed images, which no review of the images that were read can supply — its verdict stands.
   */
  basis: 'unchanged' | 'reviewed' | 'incomplete';
}

const asCall = (decision: string): ImageCall | null => (decision === 'pass' || decision === 'defect' || decision === 'uncertain' ? decision : null);

/**
 * The reviewer's call on an image whose AI decision was `ai` (the rule of docs/EVALUATION.md,
 * "Reviewed history as labels"): accept → the AI's; override, or a reject naming a class → that
 * class (a pass label such as `normal` or `ok` is a pass, any other a defect); a reject without a
 * class → the other side of a pass/defect call (an uncertain one stays uncertain); uncertain →
 * uncertain. Null when the AI made no call (a failed image) and the review names none.
 */
export function reviewedCall(ai: string, review: { decision: string; label: string | null }): ImageCall | null {
  const own = asCall(ai);
  const byLabel = (label: string): ImageCall => (PASS_LABELS.test(label.trim()) ? 'pass' : 'defect');
  switch (review.decision) {
    case 'accept':
      return own;
    case 'override':
      return review.label ? byLabel(review.label) : own;
    case 'reject':
      if (review.label) return byLabel(review.label);
      return own === 'pass' ? 'defect' : own === 'defect' ? 'pass' : own;
    case 'uncertain':
      return 'uncertain';
    default:
      return own;
  }
}

const RANK: Record<ImageCall, number> = { pass: 0, uncertain: 1, defect: 2 };
const worst = (calls: readonly ImageCall[]): ImageCall => calls.reduce<ImageCall>((a, b) => (RANK[b] > RANK[a] ? b : a), 'pass');

/** The sides a published verdict names as defective. */
function namedDefectSides(v: StationVerdict): Set<string> {
  if (v === 'INTERNAL_DEFECT') return new Set(['internal']);
  if (v === 'EXTERNAL_DEFECT') return new Set(['external']);
  if (v === 'COMBINED_DEFECT') return new Set(['internal', 'external']);
  return new Set();
}

/**
 * The case verdict after `reviews` (any reviews of the case's runs, oldest first; the latest per
 * run counts, as in the history's review state). Reviews of runs that do not decide (findings) and
 * of runs of other cases are ignored.
 */
export function correctedVerdict(r: StationResult, reviews: readonly ReviewedDecision[]): CorrectedVerdict {
  const deciding = r.images.filter((i) => i.role !== 'findings' && i.runId !== null && r.runIds.includes(i.runId));
  const effective = new Map<number, ReviewedDecision>();
  for (const rv of [...reviews].sort((a, b) => a.id - b.id)) if (deciding.some((i) => i.runId === rv.runId)) effective.set(rv.runId, rv);
  const reviewIds = [...effective.values()].map((x) => x.id).sort((a, b) => a - b);
  const same = (basis: CorrectedVerdict['basis']): CorrectedVerdict => ({ verdict: r.verdict, evaluation: evaluationOf(r.verdict), changed: false, reviewIds, basis });
  // Missing views, failed images, an unreadable sidecar, a split case: INCOMPLETE (or the
  // `verdict.incomplete: DEFECT` defect) stands — a review of what was read cannot supply the rest.
  if (r.verdict === 'INCOMPLETE' || r.reasons.length > 0 || r.images.some((i) => i.decision === 'error')) return same('incomplete');

  // An accept keeps the AI's call; any other review is a person's own call on the image.
  const calls = deciding.map((i) => {
    const ai = asCall(i.decision) ?? 'uncertain';
    const rv = effective.get(i.runId!);
    return { side: i.side, call: rv ? (reviewedCall(i.decision, rv) ?? ai) : ai, ownCall: rv !== undefined && rv.decision !== 'accept' };
  });
  if (!calls.some((c) => c.ownCall)) return same('unchanged');

  const named = namedDefectSides(r.verdict);
  const sides = [...new Set(calls.map((c) => c.side))];
  const sideCall = (side: string): ImageCall => {
    const own = calls.filter((c) => c.side === side);
    // A side a person called: its images' calls, the reviewer's where reviewed (also where the call
    // equals the AI's: "normal" on an image of an UNCERTAIN case decides it).
    if (own.some((c) => c.ownCall)) return worst(own.map((c) => c.call));
    // A side nobody called keeps what it gave the published verdict: a side that verdict named a
    // defect stays one; one a PASS passed stays a pass; otherwise its uncertain or defect calls
    // (not named a defect by the integration) still need a person: uncertain.
    if (named.has(side)) return 'defect';
    if (r.verdict === 'PASS') return 'pass';
    if (r.verdict === 'UNCERTAIN' && (r.integrated?.drivingSide === side || !r.integrated?.drivingSide)) return 'uncertain';
    return worst(own.map((c) => c.call)) === 'pass' ? 'pass' : 'uncertain';
  };
  const bySide = new Map(sides.map((s) => [s, sideCall(s)]));
  const defective = sides.filter((s) => bySide.get(s) === 'defect');
  const defect: StationVerdict | undefined =
    defective.length === 0
      ? undefined
      : defective.includes('internal') && defective.includes('external')
        ? 'COMBINED_DEFECT'
        : defective.includes('external')
          ? 'EXTERNAL_DEFECT'
          : 'INTERNAL_DEFECT';
  const v = recomputeVerdict({ caseKey: r.caseUid, failed: 0, ...(defect ? { defect } : {}), uncertain: [...bySide.values()].includes('uncertain'), runIds: r.runIds });
  const verdict = v.verdict as StationVerdict;
  return { verdict, evaluation: evaluationOf(verdict), changed: verdict !== r.verdict, reviewIds, basis: 'reviewed' };
}
