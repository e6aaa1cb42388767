/** The dashboard's query (period, pack) and the statistics the host aggregated in SQLite for it. */
import { create } from 'zustand';
import { call } from '../api';
import type { Output } from '../../../shared/contract';
import { toErrorInfo, type ErrorInfo } from '../../../shared/errors';

export type HistoryStats = Output<'history.stats'>;
export type AuditReport = Output<'audit.verify'>;

interface DashboardState {
  fromDay: string;
  toDay: string;
  pack: string;
  stats?: HistoryStats;
  audit?: AuditReport;
  loading: boolean;
  error?: ErrorInfo;
  setQuery(patch: Partial<Pick<DashboardState, 'fromDay' | 'toDay' | 'pack'>>): void;
  load(): Promise<void>;
  verifyAudit(): Promise<void>;
}

let seq = 0;

export const useDashboardStore = create<DashboardState>((set, get) => ({
  fromDay: '',
  toDay: '',
  pack: '',
  loading: false,
  setQuery: (patch) => {
    set(patch);
    void get().load();
  },
  load: async () => {
    const mine = ++seq;
    const { fromDay, toDay, pack } = get();
    set({ loading: true });
    try {
      const stats = await call('history.stats', { ...(fromDay ? { fromDay } : {}), ...(toDay ? { toDay } : {}), ...(pack ? { pack } : {}) });
      if (mine === seq) set({ stats, loading: false, error: undefined });
    } catch (e) {
      if (mine === seq) set({ loading: false, error: toErrorInfo(e) });
    }
  },
  verifyAudit: async () => {
    try {
      set({ audit: await call('audit.verify', {}) });
    } catch (e) {
      set({ error: toErrorInfo(e) });
    }
  },
}));

/** Totals over the days shown: what the KPI tiles and the verdict distribution read. */
export function totals(stats: HistoryStats) {
  const verdicts: Record<string, number> = {};
  let images = 0;
  let runs = 0;
  let errors = 0;
  for (const d of stats.daily) {
    images += d.images;
    runs += d.runs;
    errors += d.errors;
    for (const [v, n] of Object.entries(d.verdicts)) verdicts[v] = (verdicts[v] ?? 0) + n;
  }
  const sorted = Object.entries(verdicts).sort((a, b) => b[1] - a[1]);
  return { images, runs, errors, verdicts: sorted };
}
