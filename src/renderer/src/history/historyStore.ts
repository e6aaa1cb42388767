/**
 * The history table's state: filters, sort, the page on screen. Every change re-asks the host
 * (`history.search` pages in SQLite); a sequence number drops answers that arrive out of order.
 */
import { create } from 'zustand';
import { call } from '../api';
import type { Output } from '../../../shared/contract';
import { toErrorInfo, type ErrorInfo } from '../../../shared/errors';
import { EMPTY_FILTERS, searchInput, type HistoryFilters, type HistorySort } from './format';

export type HistoryPage = Output<'history.search'>;
export type HistoryRow = HistoryPage['rows'][number];

export const PAGE_SIZE = 50;

interface HistoryState {
  filters: HistoryFilters;
  sort: HistorySort;
  offset: number;
  page?: HistoryPage;
  /** Known on the first page of each query (the host counts only then). */
  total?: number;
  loading: boolean;
  error?: ErrorInfo;
  /** Choices for the verdict and pack filters, from what the database holds. */
  options: { packs: string[]; verdicts: string[] };
  setFilters(patch: Partial<HistoryFilters>): void;
  resetFilters(): void;
  setSort(sort: HistorySort): void;
  goToOffset(offset: number): void;
  search(): Promise<void>;
  loadOptions(): Promise<void>;
}

let seq = 0;

export const useHistoryStore = create<HistoryState>((set, get) => ({
  filters: EMPTY_FILTERS,
  sort: { by: 'time', order: 'desc' },
  offset: 0,
  loading: false,
  options: { packs: [], verdicts: [] },
  setFilters: (patch) => {
    set((s) => ({ filters: { ...s.filters, ...patch }, offset: 0 }));
    void get().search();
  },
  resetFilters: () => {
    set({ filters: EMPTY_FILTERS, offset: 0 });
    void get().search();
  },
  setSort: (sort) => {
    set({ sort, offset: 0 });
    void get().search();
  },
  goToOffset: (offset) => {
    set({ offset: Math.max(0, offset) });
    void get().search();
  },
  search: async () => {
    const mine = ++seq;
    const { filters, sort, offset } = get();
    set({ loading: true });
    try {
      const page = await call('history.search', searchInput(filters, sort, offset, PAGE_SIZE));
      if (mine !== seq) return;
      set({ page, loading: false, error: undefined, ...(page.total !== undefined ? { total: page.total } : {}) });
    } catch (e) {
      if (mine === seq) set({ loading: false, error: toErrorInfo(e) });
    }
  },
  loadOptions: async () => {
    try {
      const stats = await call('history.stats', {});
      const verdicts = new Set<string>();
      for (const p of stats.packs) for (const v of Object.keys(p.verdicts)) verdicts.add(v);
      set({ options: { packs: stats.packs.map((p) => p.pack).sort(), verdicts: [...verdicts].sort() } });
    } catch (e) {
      set({ error: toErrorInfo(e) });
    }
  },
}));
