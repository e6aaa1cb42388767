/**
 * `agreement.record`: the systems' boxes on one image, read from the recorded runs (never from the
 * renderer), compared in core (`core/agreement`) and recorded in the audited history.
 */
import { agreement } from '../core/agreement/index';
import { getRun } from '../core/history/index';
import type { Input, Output } from '../shared/contract';
import { InspectorError } from '../shared/errors';
import type { HistoryAccess } from './history';

export function recordAgreementOf(history: HistoryAccess, input: Input<'agreement.record'>): Output<'agreement.record'> {
  const store = history.get();
  const names = input.runs.map((r) => r.system);
  if (new Set(names).size !== names.length) throw new InspectorError('AGREEMENT_SYSTEM_TWICE', `Each system is named once; got ${names.join(', ')}.`);
  const runs = input.runs.map((r) => ({ ...r, detail: getRun(store.db, r.runId) }));
  const image = runs[0]!.detail.image.sha256;
  const other = runs.find((r) => r.detail.image.sha256 !== image);
  if (other) {
    throw new InspectorError('AGREEMENT_IMAGES_DIFFER', `Run ${other.runId} is on another image than run ${runs[0]!.runId}: boxes are compared on one image only.`, {
      runs: runs.map((r) => ({ runId: r.runId, sha256: r.detail.image.sha256 })),
    });
  }
  const matchIou = input.matchIou ?? 0.5;
  const a = agreement(
    runs.map((r) => ({
      system: r.system,
      boxes: r.detail.run.regions.map((g) => ({ x: g.box[0], y: g.box[1], width: g.box[2], height: g.box[3], label: g.label, ...(g.score !== undefined ? { score: g.score } : {}) })),
    })),
    matchIou,
  );
  const caseKey = runs[0]!.detail.case.key;
  const summary = { systems: a.systems, pairs: a.pairs, boxes: a.boxes };
  const agreementId = store.recordAgreement({
    caseKey,
    imageSha256: image,
    runs: runs.map((r) => ({ system: r.system, runId: r.runId })),
    matchIou,
    meanIou: a.meanIou,
    summary,
    operatorId: store.currentOperator()?.id ?? null,
  });
  return {
    agreementId,
    caseKey,
    matchIou,
    meanIou: a.meanIou,
    systems: runs.map((r, i) => ({ system: r.system, runId: r.runId, packName: r.detail.run.packName, boxes: a.systems[i]!.boxes })),
    pairs: a.pairs,
    boxes: a.boxes,
  };
}
