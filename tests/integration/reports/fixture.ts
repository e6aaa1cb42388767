/** A small real history: Korean names, a formula-like case key, notes with commas/quotes, corrections. */
import { HistoryStore, type InferenceRecord } from '../../../src/core/history/index';
import { sampleRecord, tempDir } from '../../unit/history/support';

export const KOREAN_CASE = '배터리-셀-0007';
export const FORMULA_CASE = '=HYPERLINK("http://evil.example","click")';

export interface Fixture {
  store: HistoryStore;
  dir: string;
  runIds: number[];
  cleanup(): void;
}

/** `n` runs (timestamps repeat every 60, so sorting has ties), reviews on a few, one corrected twice. */
export function buildHistory(n = 130): Fixture {
  const t = tempDir('inspector-reports-');
  const store = HistoryStore.open(t.file);
  store.createOperator({ id: 'kim.j', name: '김지우', role: 'reviewer' });
  store.createOperator({ id: 'lee.s', name: 'Lee Seoyeon', role: 'supervisor' });
  const recs: InferenceRecord[] = Array.from({ length: n }, (_, i) => {
    if (i === 5) return sampleRecord(i, { case: { key: KOREAN_CASE, kind: 'cell', line: '라인 2', station: '-ST9' } });
    if (i === 6) return sampleRecord(i, { case: { key: FORMULA_CASE } });
    // Two maps with their trust figure (issue #15 §3), as the engine records them with the run.
    if (i === 7 || i === 8) return sampleRecord(i, { explanation: { method: 'hirescam', scale: { kind: 'anchored' }, trust: { verdict: i === 7 ? 'strong' : 'weak', figure: i === 7 ? 0.83 : 0.01, metric: 'deletion-vs-random' } } });
    return sampleRecord(i);
  });
  const runIds = store.recordInferences(recs).map((r) => r.runId);
  const first = store.recordReview({ runId: runIds[5]!, operatorId: 'kim.j', decision: 'accept', createdAt: Date.UTC(2025, 1, 1) });
  const second = store.recordReview({ runId: runIds[5]!, operatorId: 'lee.s', decision: 'override', label: 'dent', note: '재검토: 표면 "찍힘", 확인함\n2차', supersedes: first, createdAt: Date.UTC(2025, 1, 2) });
  store.recordReview({ runId: runIds[5]!, operatorId: 'kim.j', decision: 'reject', note: '@SUM(A1)', supersedes: second, createdAt: Date.UTC(2025, 1, 3) });
  store.recordReview({ runId: runIds[6]!, operatorId: 'kim.j', decision: 'uncertain', note: '=1+1', createdAt: Date.UTC(2025, 1, 4) });
  for (const i of [10, 11, 12, 20, 21]) store.recordReview({ runId: runIds[i]!, operatorId: i % 2 ? 'lee.s' : 'kim.j', decision: 'accept', createdAt: Date.UTC(2025, 1, 5, i) });
  return { store, dir: t.dir, runIds, cleanup: () => (store.close(), t.cleanup()) };
}
