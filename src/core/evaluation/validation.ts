/**
 * Validated status and threshold versions, read from the history: a pack identity is validated on
 * this station when an evaluation of it is recorded; its threshold in force is the newest applied
 * version for that identity (none: the pack's shipped thresholds).
 */
import type Database from 'better-sqlite3';
import { NOT_VALIDATED } from '../engine/calibration';
import type { AppliedThreshold, StationCalibration } from '../engine/calibration';
import { packIdentity } from './packIdentity';

export { NOT_VALIDATED };
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


export function validationStatus(db: Database.Database, packIdentity: string): ValidationStatus {
  const ev = db.prepare('SELECT max(evaluation_id) AS id FROM evaluation_packs WHERE pack_identity = ?').get(packIdentity) as { id: number | null };
  const t = db
    .prepare(
      `SELECT id, created_at AS createdAt, pack_name AS packName, pack_identity AS packIdentity, evaluation_id AS evaluationId, objective, low, high,
              human_share AS humanShare, operator_id AS operatorId, source FROM threshold_versions WHERE pack_identity = ? ORDER BY id DESC LIMIT 1`,
    )
    .get(packIdentity) as (Omit<ThresholdVersion, 'source'> & { source: string | null }) | undefined;
  const validated = ev.id !== null;
  // `source` only where the version has one (reviewed history); evaluation-sourced versions read as recorded.
  const threshold: ThresholdVersion | null = t ? (({ source, ...rest }) => ({ ...rest, ...(source ? { source: JSON.parse(source) as Record<string, unknown> } : {}) }))(t) : null;
  return { packIdentity, validated, lastEvaluationId: ev.id, threshold, notice: validated ? null : NOT_VALIDATED };
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

/**
 * What the engine needs from the history to run packs as this station validated them: the newest
 * applied threshold version per pack identity and the newest evaluation per identity (and per
 * pack name, to say a pack's files changed since). Small: one row per identity.
 */
export function stationCalibration(db: Database.Database): StationCalibration {
  // A read-only history from before evaluations existed has nothing applied and nothing evaluated.
  const has = db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name IN ('threshold_versions', 'evaluation_packs')").get() as { n: number };
  if (has.n < 2) return { applied: {}, evaluated: {}, lastEvaluatedByName: {} };
  const applied: StationCalibration['applied'] = {};
  const rows = db
    .prepare(
      `SELECT id, pack_identity AS identity, low, high, objective, evaluation_id AS evaluationId, operator_id AS operatorId FROM threshold_versions
       WHERE id IN (SELECT max(id) FROM threshold_versions GROUP BY pack_identity)`,
    )
    .all() as (AppliedThreshold & { identity: string })[];
  for (const { identity, ...t } of rows) applied[identity] = t;
  const evaluated: StationCalibration['evaluated'] = {};
  const lastEvaluatedByName: NonNullable<StationCalibration['lastEvaluatedByName']> = {};
  const evs = db.prepare('SELECT pack_name AS name, pack_identity AS identity, evaluation_id AS id FROM evaluation_packs ORDER BY evaluation_id').all() as { name: string; identity: string; id: number }[];
  for (const e of evs) {
    evaluated[e.identity] = e.id;
    lastEvaluatedByName[e.name] = { identity: e.identity, evaluationId: e.id };
  }
  return { applied, evaluated, lastEvaluatedByName };
}

/**
 * Per pack name, whether the files it last ran with were evaluated on this station: what the
 * dashboard shows next to each pack ("not validated on this station" until an evaluation).
 */
export function validationByPack(db: Database.Database): Record<string, { validated: boolean; reason: string | null; packIdentity: string }> {
  const cal = stationCalibration(db);
  const rows = db.prepare('SELECT pack_name AS name, pack_hashes AS hashes FROM inference_runs WHERE id IN (SELECT max(id) FROM inference_runs GROUP BY pack_name)').all() as { name: string; hashes: string }[];
  const out: Record<string, { validated: boolean; reason: string | null; packIdentity: string }> = {};
  for (const r of rows) {
    const identity = packIdentity(JSON.parse(r.hashes) as Record<string, string>);
    const ev = cal.evaluated[identity];
    const before = cal.lastEvaluatedByName?.[r.name];
    out[r.name] = {
      validated: ev !== undefined,
      packIdentity: identity,
      reason: ev !== undefined ? null : before ? `${NOT_VALIDATED}: the pack's model files changed since evaluation ${before.evaluationId}` : `${NOT_VALIDATED}: no evaluation of these pack files is recorded`,
    };
  }
  return out;
}
