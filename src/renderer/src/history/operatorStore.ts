/**
 * The local operator profile: chosen at start, kept by the host (which signs every review with
 * it, never with a name the renderer sends). The review panel's reviewer field mirrors it.
 */
import { create } from 'zustand';
import { call } from '../api';
import type { Input, Output } from '../../../shared/contract';
import { toErrorInfo, type ErrorInfo } from '../../../shared/errors';
import { useReviewStore } from '../state/reviewStore';

export type Operator = Output<'operator.list'>['operators'][number];
export type OperatorRole = Operator['role'];
export const ROLES: readonly OperatorRole[] = ['operator', 'reviewer', 'supervisor', 'admin'];

interface OperatorState {
  loaded: boolean;
  operators: Operator[];
  current: Operator | null;
  /** The chooser is showing (at start without a profile, on demand, or when a review needs one). */
  open: boolean;
  error?: ErrorInfo;
  load(): Promise<void>;
  select(id: string): Promise<void>;
  create(input: Input<'operator.create'>): Promise<void>;
  setOpen(open: boolean): void;
}

function mirror(op: Operator | null) {
  if (op) useReviewStore.getState().setReviewer(op.name);
}

export const useOperatorStore = create<OperatorState>((set, get) => ({
  loaded: false,
  operators: [],
  current: null,
  open: false,
  load: async () => {
    try {
      const { operators, current } = await call('operator.list', {});
      mirror(current);
      set({ loaded: true, operators, current, open: get().open || !current, error: undefined });
    } catch (e) {
      set({ loaded: true, error: toErrorInfo(e) });
    }
  },
  select: async (id) => {
    try {
      const current = await call('operator.select', { id });
      mirror(current);
      set({ current, open: false, error: undefined });
    } catch (e) {
      set({ error: toErrorInfo(e) });
    }
  },
  create: async (input) => {
    try {
      const created = await call('operator.create', input);
      const current = await call('operator.select', { id: created.id });
      mirror(current);
      set((s) => ({ operators: [...s.operators.filter((o) => o.id !== created.id), created], current, open: false, error: undefined }));
    } catch (e) {
      set({ error: toErrorInfo(e) });
    }
  },
  setOpen: (open) => set({ open, error: undefined }),
}));
