/** Which page of the workstation is showing: the review frame, the history table or the dashboard. */
import { create } from 'zustand';

export type View = 'review' | 'history' | 'dashboard' | 'evaluate' | 'worklist' | 'line' | 'fleet';
export const VIEWS: readonly View[] = ['review', 'history', 'dashboard', 'evaluate', 'worklist', 'line', 'fleet'];

interface NavState {
  view: View;
  setView(view: View): void;
}

export const useNavStore = create<NavState>((set) => ({
  view: 'review',
  setView: (view) => set({ view }),
}));
