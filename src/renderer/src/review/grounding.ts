/**
 * Grounding on a case: the prompt and thresholds of its last grounding run (shown with the DET
 * layer), a reviewer's edit re-run with them (`inspect.run` records the edited prompt), and each
 * model box's accept/reject recorded through `review.box` against the box's run and index.
 */
import { create } from 'zustand';
import { call } from '../api';
import { useAppStore } from '../state/appStore';
import { useReviewStore } from '../state/reviewStore';
import { useViewerStore } from '../state/viewerStore';
import type { BoxData } from '../viewer/types';
import { toErrorInfo } from '../../../shared/errors';
import type { CaseRef } from './types';
import { applyResults, runOnCase, type GroundingInfo } from './inspect';

interface GroundingState {
  info: Record<string, GroundingInfo>;
  /** `runId:index` → the box's latest recorded decision. */
  decisions: Record<string, 'accept' | 'reject'>;
  busy: Record<string, boolean>;
  setInfo(caseId: string, info: GroundingInfo): void;
}

export const useGroundingStore = create<GroundingState>((set) => ({
  info: {},
  decisions: {},
  busy: {},
  setInfo: (caseId, info) => set((s) => ({ info: { ...s.info, [caseId]: info } })),
}));

export const decisionKey = (runId: number, index: number): string => `${runId}:${index}`;

/** Re-runs the case's grounding pack with the reviewer's prompt and thresholds. */
export async function rerunGrounding(c: CaseRef, edit: { prompt: string; boxThreshold: number; textThreshold: number }): Promise<void> {
  const info = useGroundingStore.getState().info[c.id];
  if (!info) return;
  useGroundingStore.setState((s) => ({ busy: { ...s.busy, [c.id]: true } }));
  try {
    const res = await runOnCase(c, info.pack, { grounding: edit });
    if (!res) return;
    // When the grounding run is the case's own inspection its findings follow the new run;
    // when it is a side system next to another pack's findings, those stay.
    const own = useReviewStore.getState().findings[c.id]?.models[0]?.pack === info.pack;
    await applyResults(c, res, { keepFindings: !own });
  } catch (e) {
    useAppStore.getState().setError(toErrorInfo(e));
  } finally {
    useGroundingStore.setState((s) => ({ busy: { ...s.busy, [c.id]: false } }));
  }
}

/** Records a reviewer's accept/reject of one model box; the box's caption then shows it. */
export async function decideBox(caseId: string, b: BoxData, decision: 'accept' | 'reject'): Promise<void> {
  if (b.runId === undefined || b.index === undefined) return;
  try {
    const r = await call('review.box', { runId: b.runId, boxIndex: b.index, decision });
    const latest: Record<string, 'accept' | 'reject'> = {};
    for (const row of r.boxReviews) latest[decisionKey(row.runId, row.boxIndex)] = row.decision;
    useGroundingStore.setState((s) => ({ decisions: { ...s.decisions, ...latest } }));
    useViewerStore.getState().setBoxDecision(caseId, b.id, latest[decisionKey(b.runId, b.index)] ?? decision);
  } catch (e) {
    useAppStore.getState().setError(toErrorInfo(e));
  }
}
