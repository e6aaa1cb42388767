/**
 * Recorded evaluations read back from the history: the list a quality lead picks from, and one
 * evaluation as it was measured — the full metrics and per-image predictions it keeps in the blob
 * store (named by hash in its audited record, so these are provably its numbers) and every
 * threshold version applied from it, with who applied it. Nothing here recomputes a metric.
 */
import type Database from 'better-sqlite3';
import { InspectorError } from '../../shared/errors';
import type { HistoryStore } from '../history/index';
import type { CaseEvaluation, PackEvaluation, Prediction } from './evaluate';
import type { SideBySide } from './sideBySide';
import { getEvaluation, type StoredEvaluation } from './validation';

/** What `runEvaluation` keeps in the blob store as `summary.metricsBlob`. */
export interface FullMetrics {
  set: { root: string; format: string; identity: string; images: number; classes: string[]; normalLabel: string };
  packs: PackEvaluation[];
  cases: CaseEvaluation | null;
  sideBySide?: SideBySide;
}

export interface EvaluationListItem {
  id: number;
  createdAt: number;
  batchId: number;
  setSource: string;
  setIdentity: string;
  operatorId: string | null;
  packs: { name: string; version: string; identity: string; images: number | null; f1: number | null; rocAuc: number | null }[];
  /** Threshold versions applied from this evaluation. */
  applied: number;
  /** Whether the full metrics (plots, intervals) are kept; evaluations from before they were are not. */
  metrics: boolean;
  /** Whether the per-image predictions (live trade-off, other targets) are kept. */
  predictions: boolean;
}

export interface AppliedVersion {
  id: number;
  createdAt: number;
  pack: string;
  packIdentity: string;
  objective: string;
  low: number;
  high: number;
  humanShare: number | null;
  operatorId: string;
  operatorName: string | null;
  operatorRole: string | null;
}

interface Summary {
  packs?: { pack: string; images?: number; f1?: number; rocAuc?: number | null }[];
  metricsBlob?: string;
  predictionsBlob?: string;
}

/** Newest first; `limit` rows at most. */
export function listEvaluations(db: Database.Database, limit = 200): EvaluationListItem[] {
  const rows = db
    .prepare(
      `SELECT e.id, e.created_at AS createdAt, e.batch_id AS batchId, e.set_source AS setSource, e.set_identity AS setIdentity, e.operator_id AS operatorId,
              e.packs, e.summary, (SELECT count(*) FROM threshold_versions t WHERE t.evaluation_id = e.id) AS applied
       FROM evaluations e ORDER BY e.id DESC LIMIT ?`,
    )
    .all(limit) as { id: number; createdAt: number; batchId: number; setSource: string; setIdentity: string; operatorId: string | null; packs: string; summary: string; applied: number }[];
  return rows.map((r) => {
    const summary = JSON.parse(r.summary) as Summary;
    const packs = JSON.parse(r.packs) as { name: string; version: string; identity: string }[];
    return {
      id: r.id,
      createdAt: r.createdAt,
      batchId: r.batchId,
      setSource: r.setSource,
      setIdentity: r.setIdentity,
      operatorId: r.operatorId,
      packs: packs.map((p) => {
        const s = summary.packs?.find((x) => x.pack === p.name);
        return { ...p, images: s?.images ?? null, f1: s?.f1 ?? null, rocAuc: s?.rocAuc ?? null };
      }),
      applied: r.applied,
      metrics: !!summary.metricsBlob,
      predictions: !!summary.predictionsBlob,
    };
  });
}

/** Every threshold version applied from evaluation `id`, oldest first, with who applied it. */
export function appliedVersions(db: Database.Database, evaluationId: number): AppliedVersion[] {
  return db
    .prepare(
      `SELECT t.id, t.created_at AS createdAt, t.pack_name AS pack, t.pack_identity AS packIdentity, t.objective, t.low, t.high, t.human_share AS humanShare,
              t.operator_id AS operatorId, o.name AS operatorName, o.role AS operatorRole
       FROM threshold_versions t LEFT JOIN operators o ON o.id = t.operator_id WHERE t.evaluation_id = ? ORDER BY t.id`,
    )
    .all(evaluationId) as AppliedVersion[];
}

export interface RecordedEvaluation {
  record: StoredEvaluation;
  metrics: FullMetrics;
  /** Empty when the evaluation was recorded before predictions were kept. */
  predictions: Prediction[];
  applied: AppliedVersion[];
}

/**
 * One recorded evaluation as it was measured. `EVAL_NOT_FOUND` for an unknown id,
 * `EVAL_METRICS_MISSING` for one recorded before the full metrics were kept; a blob whose bytes no
 * longer match their hash is refused by the blob store (the numbers would not be the record's).
 */
export function readRecordedEvaluation(store: HistoryStore, evaluationId: number): RecordedEvaluation {
  const record = getEvaluation(store.db, evaluationId);
  if (!record) throw new InspectorError('EVAL_NOT_FOUND', `There is no evaluation ${evaluationId} in ${store.file}.`, { evaluationId });
  const summary = record.summary as Summary;
  if (!summary.metricsBlob) {
    throw new InspectorError('EVAL_METRICS_MISSING', `Evaluation ${evaluationId} was recorded before full metrics were kept; evaluate the set again to see its plots.`, { evaluationId });
  }
  const metrics = JSON.parse(store.blobs.get(summary.metricsBlob).toString('utf8')) as FullMetrics;
  const predictions = summary.predictionsBlob ? (JSON.parse(store.blobs.get(summary.predictionsBlob).toString('utf8')) as Prediction[]) : [];
  return { record, metrics, predictions, applied: appliedVersions(store.db, evaluationId) };
}

export interface Targets {
  recallTarget: number;
  falseAlarmTarget: number;
  sigmaK: number;
}

/**
 * The objectives' targets an evaluation was computed with, read off its proposals' names
 * (`recall>=0.95`, `false-alarm<=0.02`, `mean+2sigma`: `objectiveName` writes them), which the
 * band was computed at too; `fallback` for any the record does not name.
 */
export function recordedTargets(packs: readonly { proposals: readonly { objective: string }[] }[], fallback: Targets): Targets {
  const out = { ...fallback };
  for (const q of packs.flatMap((p) => p.proposals)) {
    const m = /^(recall>=|false-alarm<=|mean\+)(-?[\d.e+-]+?)(sigma)?$/.exec(q.objective);
    if (!m) continue;
    const v = Number(m[2]);
    if (!Number.isFinite(v)) continue;
    if (m[1] === 'recall>=') out.recallTarget = v;
    else if (m[1] === 'false-alarm<=') out.falseAlarmTarget = v;
    else if (m[3]) out.sigmaK = v;
  }
  return out;
}
