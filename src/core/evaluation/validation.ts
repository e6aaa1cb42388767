/**
 * Validated status and threshold versions, read from the history: a pack identity is validated on
 * this station when an evaluation of it is recorded; its threshold in force is the newest applied
 * version for that identity (none: the pack's shipped thresholds).
 */
import type Database from 'better-sqlite3';
import type { ThresholdInput } from '../history/records';

/** An applied threshold version as stored: what `recordThresholdVersion` was given, plus its id and time. */
export interface ThresholdVersion extends ThresholdInput {
  id: number;
  createdAt: number;
}

export interface ValidationStatus {
  packIdentity: string;
  validated: boolean;
  /** Newest evaluation of exactly this identity. */
  lastEvaluationId: number | null;
  threshold: ThresholdVersion | null;
  /** What every result and the dashboard show when not validated. */
  notice: string | null;
}

export const NOT_VALIDATED = 'not validated on this station';

export function validationStatus(db: Database.Database, packIdentity: string): ValidationStatus {
  const ev = db.prepare('SELECT max(evaluation_id) AS id FROM evaluation_packs WHERE pack_identity = ?').get(packIdentity) as { id: number | null };
  const t = db
    .prepare(
      `SELECT id, created_at AS createdAt, pack_name AS packName, pack_identity AS packIdentity, evaluation_id AS evaluationId, objective, low, high,
              human_share AS humanShare, operator_id AS operatorId FROM threshold_versions WHERE pack_identity = ? ORDER BY id DESC LIMIT 1`,
    )
    .get(packIdentity) as ThresholdVersion | undefined;
  const validated = ev.id !== null;
  return { packIdentity, validated, lastEvaluationId: ev.id, threshold: t ?? null, notice: validated ? null : NOT_VALIDATED };
}

export interface StoredEvaluation {
  id: number;
  createdAt: number;
  batchId: number;
  setIdentity: string;
  setSource: string;
  packs: { name: string; version: string; identity: string }[];
  summary: {
    packs: {
      pack: string;
      identity: string;
      proposals: { objective: string; threshold: number; f1: number; recall: number; falseAlarmRate: number }[];
      band: { low: number; high: number; humanShare: number } | null;
      threshold: number;
    }[];
  };
  operatorId: string | null;
}

export function getEvaluation(db: Database.Database, id: number): StoredEvaluation | null {
  const r = db.prepare('SELECT id, created_at, batch_id, set_identity, set_source, packs, summary, operator_id FROM evaluations WHERE id = ?').get(id) as
    | { id: number; created_at: number; batch_id: number; set_identity: string; set_source: string; packs: string; summary: string; operator_id: string | null }
    | undefined;
  if (!r) return null;
  return { id: r.id, createdAt: r.created_at, batchId: r.batch_id, setIdentity: r.set_identity, setSource: r.set_source, packs: JSON.parse(r.packs), summary: JSON.parse(r.summary), operatorId: r.operator_id };
}
