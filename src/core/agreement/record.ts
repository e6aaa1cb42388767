/**
 * The agreement of recorded runs on one image: boxes read from the history (the recorded regions,
 * never a caller's copy), compared by `agreement`, and the figure recorded (audited). Shared by the
 * app (`agreement.record`) and the CLI (`inspector agreement`).
 */
import { InspectorError } from '../../shared/errors';
import { getRun, type HistoryStore, type RunDetail } from '../history/index';
import { isCamMethod, methodDisplayName } from '../../shared/methods';
import { agreement, type Agreement } from './agreement';

export interface RunsAgreementInput {
  runs: { system: string; runId: number }[];
  matchIou?: number;
}

export interface RecordedAgreement extends Omit<Agreement, 'systems'> {
  agreementId: number;
  caseKey: string;
  /** `method`: the explanation method the run recorded (a CAM id, an anomaly format), null for none. */
  systems: { system: string; runId: number; packName: string; boxes: number; method: string | null }[];
}

/**
 * What a recorded run is, as a system of the comparison: a classifier's map by the CAM method it
 * recorded (HiResCAM, Grad-CAM, …), an anomaly map, or grounding boxes (a run with a prompt).
 */
export function systemNameOf(detail: RunDetail): string | undefined {
  if (detail.run.groundingPrompt) return 'Grounding';
  const method = detail.run.explanation?.method;
  if (isCamMethod(method)) return methodDisplayName(method!);
  return method ? 'Anomaly' : undefined;
}

export function recordRunsAgreement(store: HistoryStore, input: RunsAgreementInput): RecordedAgreement {
  if (input.runs.length < 2) throw new InspectorError('AGREEMENT_TOO_FEW_RUNS', 'An agreement compares at least two runs.');
  const names = input.runs.map((r) => r.system);
  if (new Set(names).size !== names.length) throw new InspectorError('AGREEMENT_SYSTEM_TWICE', `Each system is named once; got ${names.join(', ')}.`);
  const matchIou = input.matchIou ?? 0.5;
  if (!(matchIou > 0 && matchIou <= 1)) throw new InspectorError('AGREEMENT_BAD_MATCH_IOU', `The match IoU is in (0, 1]; got ${matchIou}.`);
  const runs = input.runs.map((r) => ({ ...r, detail: getRun(store.db, r.runId) }));
  const image = runs[0]!.detail.image.sha256;
  const other = runs.find((r) => r.detail.image.sha256 !== image);
  if (other) {
    throw new InspectorError('AGREEMENT_IMAGES_DIFFER', `Run ${other.runId} is on another image than run ${runs[0]!.runId}: boxes are compared on one image only.`, {
      runs: runs.map((r) => ({ runId: r.runId, sha256: r.detail.image.sha256 })),
    });
  }
  const a = agreement(
    runs.map((r) => ({
      system: r.system,
      boxes: r.detail.run.regions.map((g) => ({ x: g.box[0], y: g.box[1], width: g.box[2], height: g.box[3], label: g.label, ...(g.score !== undefined ? { score: g.score } : {}) })),
    })),
    matchIou,
  );
  const caseKey = runs[0]!.detail.case.key;
  const agreementId = store.recordAgreement({
    caseKey,
    imageSha256: image,
    runs: runs.map((r) => ({ system: r.system, runId: r.runId })),
    matchIou,
    meanIou: a.meanIou,
    summary: { systems: a.systems, pairs: a.pairs, boxes: a.boxes },
    operatorId: store.currentOperator()?.id ?? null,
  });
  return {
    agreementId,
    caseKey,
    matchIou,
    meanIou: a.meanIou,
    systems: runs.map((r, i) => ({ system: r.system, runId: r.runId, packName: r.detail.run.packName, boxes: a.systems[i]!.boxes, method: r.detail.run.explanation?.method ?? null })),
    pairs: a.pairs,
    boxes: a.boxes,
  };
}
