/** The worklist room's state: the node's studies and listener state, refreshed on demand and while shown. */
import { create } from 'zustand';
import { call } from '../api';
import type { Output } from '../../../shared/contract';
import { toErrorInfo, type ErrorInfo } from '../../../shared/errors';
import { casesFromFolder } from '../review/sources';
import { useReviewStore } from '../state/reviewStore';
import { useNavStore } from '../history/navStore';
import { useAppStore } from '../state/appStore';
import { caseFromRun, caseIdOfRun, draftFromReview, effectiveReview } from '../history/reopen';
import { recordedMeasurements, useMeasureStore } from '../viewer/measurements';
import { NO_FILTER, nextSort, type SortKey, type WorklistFilter, type WorklistSort } from './worklistView';

type Worklist = Output<'dicom.worklist'>;

interface WorklistState {
  data: Worklist | null;
  error: ErrorInfo | null;
  loading: boolean;
  /** The chosen column sort; null keeps the node's order (newest received first). */
  sort: WorklistSort | null;
  filter: WorklistFilter;
  /** A header click: sorts by that column ascending, or flips it when it is already the sort. */
  sortBy(key: SortKey): void;
  setFilter(f: Partial<WorklistFilter>): void;
  clearFilter(): void;
  refresh(): Promise<void>;
  /** Grants the study's inbox folder, opens its series as cases and shows the review page. */
  open(studyInstanceUid: string): Promise<void>;
}

export const useWorklistStore = create<WorklistState>((set) => ({
  data: null,
  error: null,
  loading: false,
  sort: null,
  filter: NO_FILTER,
  sortBy: (key) => set((s) => ({ sort: nextSort(s.sort, key) })),
  setFilter: (f) => set((s) => ({ filter: { ...s.filter, ...f } })),
  clearFilter: () => set({ filter: NO_FILTER }),
  refresh: async () => {
    set({ loading: true });
    try {
      set({ data: await call('dicom.worklist', {}), error: null, loading: false });
    } catch (e) {
      set({ error: toErrorInfo(e), loading: false });
    }
  },
  open: async (studyInstanceUid) => {
    try {
      const { folder, series, study, runs } = await call('dicom.openStudy', { studyInstanceUid });
      // Titled by the study (patient id, description), not by the series folder's UID.
      const label = [study.patientId, study.description].filter(Boolean).join(' ') || studyInstanceUid;
      // One folder per series in the inbox; the cases are named under the study folder so the
      // series strip shows the study's series side by side.
      const cases = (await Promise.all(series.map((s) => casesFromFolder(s.folder)))).flatMap((r, i) =>
        r.cases.map((c) =>
          c.id.startsWith(`${series[i]!.folder}#`)
            ? { ...c, id: `${folder}#${c.id.slice(series[i]!.folder.length + 1)}`, title: c.title.replace(series[i]!.seriesInstanceUid, label) }
            : c,
        ),
      );
      // An inspected image opens as its recorded run (findings, map, regions, latest review): a
      // decision and the measurements taken then are recorded against that run, as from History.
      const withRuns = await Promise.all(
        cases.map(async (c) => {
          const run = c.path ? runs.find((r) => r.path === c.path) : undefined;
          if (!run) return c;
          const [detail, image] = await Promise.all([call('history.run', { runId: run.runId }), call('images.openRun', { runId: run.runId })]);
          const seed = draftFromReview(detail);
          const id = caseIdOfRun(run.runId);
          if (seed && !useReviewStore.getState().drafts[id]?.dirty) {
            useReviewStore.setState((s) => ({ drafts: { ...s.drafts, [id]: seed } }));
            useMeasureStore.getState().seed(id, recordedMeasurements(effectiveReview(detail)?.measurements ?? []));
          }
          return caseFromRun(detail, image);
        }),
      );
      useReviewStore.getState().setCases(withRuns, withRuns.length ? 0 : -1);
      useNavStore.getState().setView('review');
    } catch (e) {
      // Shown in the room and in the app's error line (the review page may already be showing).
      set({ error: toErrorInfo(e) });
      useAppStore.getState().setError(toErrorInfo(e));
    }
  },
}));
