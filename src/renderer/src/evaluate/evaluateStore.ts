/**
 * The Evaluate room's state: what to evaluate (a chosen set folder, a pack or a chosen config),
 * the job in the host (polled: the IPC is request/response), its results, and per pack the
 * threshold being looked at, how it was chosen and what was applied.
 */
import { create } from 'zustand';
import { call } from '../api';
import type { ChosenThreshold, EvaluationJob, EvaluationListItem, EvaluationView, ThresholdApplied, ThresholdChoice } from '../../../shared/evaluation';
import { toErrorInfo, type ErrorInfo } from '../../../shared/errors';

export type PresetKind = ThresholdChoice['kind'];

export interface Targets {
  recall: number;
  falseAlarm: number;
  sigma: number;
}

interface EvaluateState {
  setDir: string | null;
  config: string | null;
  pack: string;
  job: EvaluationJob | null;
  /** The evaluation shown: the one just run, or one reopened from the history. */
  result: EvaluationView | null;
  /** Recorded evaluations in the history (newest first), for reopening. */
  recorded: EvaluationListItem[];
  error: ErrorInfo | null;
  /** The pack whose results are shown. */
  shown: string | null;
  /** Threshold being looked at, per pack. */
  threshold: Record<string, number>;
  /** How it was chosen (a preset, or by hand with the slider). */
  preset: PresetKind;
  targets: Targets;
  /** The core's answer for the preset (band: T1/T2 and the share to a person). */
  proposal: ChosenThreshold | null;
  applied: ThresholdApplied | null;
  applyError: ErrorInfo | null;
  chooseSet(): Promise<void>;
  chooseConfig(): Promise<void>;
  clearConfig(): void;
  setPack(pack: string): void;
  start(): Promise<void>;
  loadRecorded(): Promise<void>;
  open(evaluationId: number): Promise<void>;
  cancel(): Promise<void>;
  show(pack: string): void;
  setThreshold(pack: string, t: number): void;
  choosePreset(kind: PresetKind, targets?: Partial<Targets>): Promise<void>;
  apply(): Promise<void>;
}

const POLL_MS = 250;

export function choiceOf(kind: PresetKind, t: Targets, threshold: number): ThresholdChoice {
  switch (kind) {
    case 'f1':
      return { kind };
    case 'recall':
      return { kind, target: t.recall };
    case 'false-alarm':
      return { kind, target: t.falseAlarm };
    case 'sigma':
      return { kind, k: t.sigma };
    case 'band':
      return { kind, recallTarget: t.recall, falseAlarmTarget: t.falseAlarm };
    case 'manual':
      return { kind, threshold };
  }
}

export const useEvaluateStore = create<EvaluateState>((set, get) => {
  const poll = async (jobId: string) => {
    try {
      const job = await call('evaluation.progress', { jobId });
      set({ job });
      if (job.state === 'running') return void setTimeout(() => void poll(jobId), POLL_MS);
      if (job.state === 'done' && job.result) {
        showResult(job.result);
        void get().loadRecorded();
      }
    } catch (e) {
      set({ error: toErrorInfo(e) });
    }
  };
  const showResult = (result: EvaluationView) => {
    const first = result.packs[0];
    const t = result.targets;
    // Each pack starts at the threshold it was evaluated with; the targets are the evaluation's.
    set({
      result,
      shown: first?.name ?? null,
      threshold: Object.fromEntries(result.packs.map((p) => [p.name, p.threshold])),
      targets: { recall: t.recallTarget, falseAlarm: t.falseAlarmTarget, sigma: t.sigmaK },
      preset: 'manual',
      proposal: null,
      applied: null,
      applyError: null,
    });
  };
  const propose = async (kind: PresetKind) => {
    const { result, shown, targets, threshold } = get();
    const ev = result?.evaluationId;
    if (!ev || !shown) return;
    if (kind === 'manual') return set({ proposal: null });
    try {
      const proposal = await call('evaluation.propose', { evaluationId: ev, pack: shown, choice: choiceOf(kind, targets, threshold[shown] ?? 0.5) });
      set((s) => ({ proposal, threshold: { ...s.threshold, [shown]: proposal.high }, applyError: null }));
    } catch (e) {
      set({ proposal: null, applyError: toErrorInfo(e) });
    }
  };
  return {
    setDir: null,
    config: null,
    pack: '',
    job: null,
    result: null,
    recorded: [],
    error: null,
    shown: null,
    threshold: {},
    preset: 'manual',
    targets: { recall: 0.99, falseAlarm: 0.01, sigma: 3 },
    proposal: null,
    applied: null,
    applyError: null,
    chooseSet: async () => {
      try {
        const { paths } = await call('files.choose', { kind: 'folder' });
        if (paths[0]) set({ setDir: paths[0], error: null });
      } catch (e) {
        set({ error: toErrorInfo(e) });
      }
    },
    chooseConfig: async () => {
      try {
        const { paths } = await call('files.choose', { kind: 'files' });
        if (paths[0]) set({ config: paths[0], error: null });
      } catch (e) {
        set({ error: toErrorInfo(e) });
      }
    },
    clearConfig: () => set({ config: null }),
    setPack: (pack) => set({ pack }),
    start: async () => {
      const { setDir, pack, config, job } = get();
      if (!setDir || job?.state === 'running') return;
      set({ error: null, job: null, result: null, applied: null, applyError: null, proposal: null });
      try {
        const started = await call('evaluation.start', { set: setDir, ...(config ? { config } : { pack }) });
        set({ job: started });
        void poll(started.jobId);
      } catch (e) {
        set({ error: toErrorInfo(e) });
      }
    },
    loadRecorded: async () => {
      try {
        set({ recorded: await call('evaluation.list', {}) });
      } catch (e) {
        set({ error: toErrorInfo(e) });
      }
    },
    open: async (evaluationId) => {
      if (get().job?.state === 'running') return;
      try {
        set({ error: null });
        showResult(await call('evaluation.open', { evaluationId }));
      } catch (e) {
        set({ error: toErrorInfo(e) });
      }
    },
    cancel: async () => {
      const job = get().job;
      if (job?.state !== 'running') return;
      try {
        set({ job: await call('evaluation.cancel', { jobId: job.jobId }) });
      } catch (e) {
        set({ error: toErrorInfo(e) });
      }
    },
    show: (pack) => set({ shown: pack, preset: 'manual', proposal: null, applied: null, applyError: null }),
    setThreshold: (pack, t) => set((s) => ({ threshold: { ...s.threshold, [pack]: t }, preset: 'manual', proposal: null, applied: null, applyError: null })),
    choosePreset: async (kind, targets) => {
      set((s) => ({ preset: kind, targets: { ...s.targets, ...targets }, applied: null, applyError: null }));
      await propose(kind);
    },
    apply: async () => {
      const { result, shown, preset, targets, threshold } = get();
      const ev = result?.evaluationId;
      if (!ev || !shown) return;
      try {
        const applied = await call('threshold.apply', { evaluationId: ev, pack: shown, choice: choiceOf(preset, targets, threshold[shown] ?? 0.5) });
        set({ applied, applyError: null });
        // The applied versions as the history now has them (with who applied each).
        const again = await call('evaluation.open', { evaluationId: ev });
        set((s) => (s.result?.evaluationId === ev ? { result: { ...s.result, applied: again.applied } } : {}));
        void get().loadRecorded();
      } catch (e) {
        set({ applied: null, applyError: toErrorInfo(e) });
      }
    },
  };
});
