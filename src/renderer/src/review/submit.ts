/** Decisions go to the history through `review.submit`, recorded with the selected operator. */
import { call } from '../api';
import { InspectorError } from '../../../shared/errors';
import { useOperatorStore } from '../history/operatorStore';
import { formatTime } from '../history/format';
import type { SubmitDecision } from '../state/reviewStore';
import { useViewerStore } from '../state/viewerStore';
import { measurementRecord } from '../viewer/annotations';
import { useMeasureStore } from '../viewer/measurements';
import type { ReviewMeasurement } from '../../../shared/history';

/** The case's measurements with their numbers and the instance (and frame) each was drawn on. */
export function measurementsOf(caseId: string): ReviewMeasurement[] {
  const frames = useViewerStore.getState().scenes[caseId]?.frames ?? [];
  return useMeasureStore
    .getState()
    .items.filter((m) => m.sceneId === caseId)
    .flatMap((m): ReviewMeasurement[] => {
      const f = frames[m.frameIndex];
      const rec = f && measurementRecord(f, m.kind, m.a, m.b);
      if (!f || !rec) return [];
      const h = f.header;
      const multiFrame = f.source && frames.filter((x) => x.source?.path === f.source!.path).length > 1;
      return [
        {
          kind: m.kind === 'roi' ? 'rectangle' : m.kind,
          points: [m.a, m.b],
          value: rec.value,
          unit: rec.unit,
          frameNumber: multiFrame ? f.source!.frame + 1 : null,
          source: h?.sopClassUid && h.sopInstanceUid ? { sopClassUid: h.sopClassUid, sopInstanceUid: h.sopInstanceUid, ...(h.seriesInstanceUid ? { seriesInstanceUid: h.seriesInstanceUid } : {}) } : null,
        },
      ];
    });
}

export const submitToHistory: SubmitDecision = async (c, draft) => {
  if (!c.runId) throw new InspectorError('REVIEW_NOT_INSPECTED', 'This case has no recorded inspection run yet; run the inspection before recording a decision.', { caseId: c.id });
  if (!draft.decision) throw new InspectorError('REVIEW_NO_DECISION', 'Choose accept, reject, override or uncertain first.');
  const submit = call('review.submit', {
    runId: c.runId,
    decision: draft.decision,
    // Only an override names the reviewer's class; an accept after trying an override carries none.
    label: draft.decision === 'override' ? (draft.overrideClass ?? null) : null,
    boxes: draft.boxes.map((b) => ({ box: [b.rect.x, b.rect.y, b.rect.width, b.rect.height] as [number, number, number, number], label: b.label || 'defect' })),
    measurements: measurementsOf(c.id),
    note: draft.note || null,
    ...(draft.savedId ? { supersedes: Number(draft.savedId) } : {}),
  });
  const res = await submit.catch((e: unknown) => {
    // Nobody is signed in to sign the decision: open the profile chooser instead of a dead end.
    if (e instanceof InspectorError && e.code === 'OPERATOR_NOT_SELECTED') useOperatorStore.getState().setOpen(true);
    throw e;
  });
  // Shown as "saved <time>": in the app's one date format, as a reopened review shows it.
  return { id: String(res.reviewId), at: formatTime(Date.now()) };
};
