/**
 * The case a line inspector selected in the live feed: its explanation (station.explanation) and,
 * once a map is recorded, the explained run opened into the shared viewer (the same CaseRef a
 * History reopen builds, so the same konva viewer draws the image, the map and its regions). The
 * page names a result id and run id only; main resolves and checks the file (station.openRun).
 */
import { create } from 'zustand';
import { call } from '../api';
import { caseFromRun } from '../history/reopen';
import { useReviewStore } from '../state/reviewStore';
import { toErrorInfo, type ErrorInfo } from '../../../shared/errors';
import type { StationExplanationView } from '../../../shared/station';

interface LineCaseState {
  resultId: string | null;
  explanation: StationExplanationView | null;
  /** The run shown in the viewer (one of the explanation's maps). */
  runId: number | null;
  error: ErrorInfo | null;
  loading: boolean;
  select(resultId: string | null): Promise<void>;
  /** The feed says the case's explanation changed (recorded after the result): read it again. */
  refresh(): Promise<void>;
  show(runId: number): Promise<void>;
}

export const useLineCase = create<LineCaseState>((set, get) => ({
  resultId: null,
  explanation: null,
  runId: null,
  error: null,
  loading: false,
  async select(resultId) {
    set({ resultId, explanation: null, runId: null, error: null });
    if (resultId) await get().refresh();
  },
  async refresh() {
    const resultId = get().resultId;
    if (!resultId) return;
    set({ loading: true });
    try {
      const explanation = await call('station.explanation', { resultId });
      if (get().resultId !== resultId) return;
      set({ explanation, loading: false, error: null });
      const first = explanation.maps[0];
      if (first && get().runId === null) await get().show(first.runId);
    } catch (e) {
      if (get().resultId === resultId) set({ loading: false, error: toErrorInfo(e) });
    }
  },
  async show(runId) {
    const resultId = get().resultId;
    if (!resultId) return;
    set({ runId });
    try {
      const [detail, image] = await Promise.all([call('history.run', { runId }), call('station.openRun', { resultId, runId })]);
      if (get().resultId !== resultId || get().runId !== runId) return;
      const ref = caseFromRun(detail, image);
      // Into the shared case list as a History reopen does (replaced if there), and made current: the
      // app loads it into the viewer, which the Line room shows.
      const r = useReviewStore.getState();
      const at = r.cases.findIndex((c) => c.id === ref.id);
      if (at >= 0) r.setCases(r.cases.map((c, i) => (i === at ? ref : c)), at);
      else r.setCases([...r.cases, ref], r.cases.length);
    } catch (e) {
      if (get().resultId === resultId) set({ error: toErrorInfo(e) });
    }
  },
}));
