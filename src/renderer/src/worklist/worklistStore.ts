/** The worklist room's state: the node's studies and listener state, refreshed on demand and while shown. */
import { create } from 'zustand';
import { call } from '../api';
import type { Output } from '../../../shared/contract';
import { toErrorInfo, type ErrorInfo } from '../../../shared/errors';
import { casesFromFolder } from '../review/sources';
import { useReviewStore } from '../state/reviewStore';
import { useNavStore } from '../history/navStore';

type Worklist = Output<'dicom.worklist'>;

interface WorklistState {
  data: Worklist | null;
  error: ErrorInfo | null;
  loading: boolean;
  refresh(): Promise<void>;
  /** Grants the study's inbox folder, opens its series as cases and shows the review page. */
  open(studyInstanceUid: string): Promise<void>;
}

export const useWorklistStore = create<WorklistState>((set) => ({
  data: null,
  error: null,
  loading: false,
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
      const { folder } = await call('dicom.openStudy', { studyInstanceUid });
      const { cases } = await casesFromFolder(folder);
      useReviewStore.getState().setCases(cases, cases.length ? 0 : -1);
      useNavStore.getState().setView('review');
    } catch (e) {
      set({ error: toErrorInfo(e) });
    }
  },
}));
