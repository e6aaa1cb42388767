/**
 * "Inspect all": the chosen pack over every case of the queue not yet inspected with it, one case
 * at a time (the worker runs one inference at a time; queueing them all would only hide progress
 * and make Cancel meaningless). Each case goes through the same `inspect.run` and result handling
 * as F5, so a case inspected here shows exactly what F5 would have shown when it is opened.
 */
import { create } from 'zustand';
import { isFlagged, useReviewStore } from '../state/reviewStore';
import { applyResults, runOnCase } from './inspect';
import type { CaseRef, Findings } from './types';

export type CaseRunState = { state: 'queued' } | { state: 'inspecting' } | { state: 'done'; decision: string; label: string } | { state: 'error'; code: string; message: string };

export interface BatchSummary {
  inspected: number;
  failed: number;
  /** Error codes of the failed cases, each once, in the order they happened. */
  codes: string[];
  cancelled: boolean;
}

interface BatchState {
  running: boolean;
  cancelling: boolean;
  total: number;
  /** Cases finished (inspected or failed). */
  finished: number;
  failed: number;
  /** The case in flight. */
  caseId?: string;
  caseTitle?: string;
  /** Wall time per finished case so far, for the estimate. */
  msPerCase?: number;
  perCase: Record<string, CaseRunState>;
  summary?: BatchSummary;
  dismiss(): void;
}

export const useBatchStore = create<BatchState>((set) => ({
  running: false,
  cancelling: false,
  total: 0,
  finished: 0,
  failed: 0,
  perCase: {},
  dismiss: () => set({ summary: undefined }),
}));

/** The pack a case is inspected with, as F5 chooses it: the chosen one, else the sample's own. */
export const packFor = (c: CaseRef, chosen: string): string | undefined => chosen || c.pack || undefined;

/** Already inspected with that pack (this session, or a history run reopened with it). */
export function inspectedWith(f: Findings | undefined, pack: string | undefined): boolean {
  if (!f) return false;
  // Without a named pack (the case's config or the configured default) any run counts.
  return !pack || f.models.some((m) => m.pack === pack);
}

/** Cases the batch would run: with an image file, and not inspected with their pack yet. */
export function casesToInspect(cases: readonly CaseRef[], findings: Record<string, Findings>, chosen: string): CaseRef[] {
  return cases.filter((c) => !!c.path && !inspectedWith(findings[c.id], packFor(c, chosen)));
}

const codeOf = (e: unknown): string => (e && typeof e === 'object' && 'code' in e && typeof e.code === 'string' ? e.code : 'INSPECT_FAILED');

/** Runs the batch; resolves with its summary. A second call while one runs does nothing. */
export async function inspectAll(chosen: string): Promise<BatchSummary | undefined> {
  if (useBatchStore.getState().running) return undefined;
  const review = useReviewStore.getState();
  const todo = casesToInspect(review.cases, review.findings, chosen);
  const perCase: Record<string, CaseRunState> = { ...useBatchStore.getState().perCase };
  for (const c of todo) perCase[c.id] = { state: 'queued' };
  useBatchStore.setState({ running: true, cancelling: false, total: todo.length, finished: 0, failed: 0, caseId: undefined, caseTitle: undefined, msPerCase: undefined, perCase, summary: undefined });
  const mark = (id: string, s: CaseRunState) => useBatchStore.setState((b) => ({ perCase: { ...b.perCase, [id]: s } }));
  const codes: string[] = [];
  let inspected = 0;
  let failed = 0;
  const t0 = performance.now();
  for (const c of todo) {
    // The record as it is now (the reviewer may have drawn boxes on it meanwhile); a queue replaced
    // by another folder ends the batch as a cancel would.
    const now = useReviewStore.getState().cases.find((x) => x.id === c.id);
    if (!now) useBatchStore.setState({ cancelling: true });
    if (!now || useBatchStore.getState().cancelling) break;
    useBatchStore.setState({ caseId: c.id, caseTitle: c.title });
    mark(c.id, { state: 'inspecting' });
    try {
      const res = await runOnCase(now, packFor(now, chosen));
      if (!res) throw Object.assign(new Error(`${c.title}: the run returned no result`), { code: 'INSPECT_NO_RESULT' });
      await applyResults(now, res);
      inspected++;
      mark(c.id, { state: 'done', decision: res.decision, label: res.findings.verdict });
    } catch (e) {
      // One bad image (a corrupt file) is that case's result, not the batch's end.
      const code = codeOf(e);
      if (!codes.includes(code)) codes.push(code);
      failed++;
      mark(c.id, { state: 'error', code, message: e instanceof Error ? e.message : String(e) });
    }
    const finished = inspected + failed;
    useBatchStore.setState({ finished, failed, msPerCase: (performance.now() - t0) / finished });
  }
  const b = useBatchStore.getState();
  const summary: BatchSummary = { inspected, failed, codes, cancelled: b.cancelling && b.finished < b.total };
  // Cases a cancel left unrun are simply not inspected, as before the batch.
  const ran = Object.fromEntries(Object.entries(useBatchStore.getState().perCase).filter(([, v]) => v.state !== 'queued'));
  useBatchStore.setState({ running: false, cancelling: false, caseId: undefined, caseTitle: undefined, perCase: ran, summary });
  return summary;
}

/** Stops after the case in flight; what finished stays recorded. */
export function cancelBatch(): void {
  if (useBatchStore.getState().running) useBatchStore.setState({ cancelling: true });
}

/** Seconds left at the pace so far, once a case has finished. */
export function etaSeconds(b: Pick<BatchState, 'total' | 'finished' | 'msPerCase'>): number | undefined {
  return b.msPerCase === undefined ? undefined : Math.round(((b.total - b.finished) * b.msPerCase) / 1000);
}

/** Index of the next case (after the current one, wrapping) the model did not pass; -1 if none. */
export function nextFlagged(): number {
  const { cases, current, ai } = useReviewStore.getState();
  for (let k = 1; k <= cases.length; k++) {
    const i = (current + k + cases.length) % cases.length;
    if (isFlagged(ai[cases[i]!.id])) return i;
  }
  return -1;
}
