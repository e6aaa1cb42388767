/**
 * Versioned schema. Each migration runs in its own transaction and sets `PRAGMA user_version`
 * inside it, so a crash mid-migration leaves the previous version intact. Never edit a shipped
 * migration: add the next one (tests open a database at every earlier version and migrate it).
 */
import type Database from 'better-sqlite3';
import { InspectorError } from '../../shared/errors';
import { chainedRows, DICOM_INSTANCE_COLUMNS, DICOM_STUDY_COLUMNS, dicomRowHash, LEDGER_CHAIN_MIGRATION, operatorSelectionHash, referenceHash } from './derived';
import { AuditAppender } from './audit';
import { HASHED_COLUMNS, RUN_EXPLANATIONS_MIGRATION, SIGNING_MIGRATION, type AuditEntity } from './hash';
import { storedRecordReader } from './verify';

export interface Migration {
  version: number;
  name: string;
  up(db: Database.Database): void;
}

const IMMUTABLE_TABLES = ['audit_log', 'operators', 'cases', 'batches', 'images', 'inference_runs', 'reviews', 'errors'];

const v1Core = `
CREATE TABLE operators(id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE settings(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE cases(
  id INTEGER PRIMARY KEY, case_key TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, line TEXT, station TEXT,
  tags TEXT NOT NULL DEFAULT '[]', created_at INTEGER NOT NULL);
CREATE TABLE batches(id INTEGER PRIMARY KEY, name TEXT NOT NULL, source TEXT, operator_id TEXT, started_at INTEGER NOT NULL);
CREATE TABLE images(
  id INTEGER PRIMARY KEY, case_id INTEGER NOT NULL REFERENCES cases(id), source_path TEXT NOT NULL, sha256 TEXT NOT NULL,
  format TEXT NOT NULL, modality TEXT NOT NULL, width INTEGER, height INTEGER, frames INTEGER, bytes INTEGER,
  validation TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE INDEX images_case ON images(case_id);
CREATE TABLE inference_runs(
  id INTEGER PRIMARY KEY, created_at INTEGER NOT NULL, day TEXT NOT NULL,
  case_id INTEGER NOT NULL REFERENCES cases(id), image_id INTEGER NOT NULL REFERENCES images(id),
  batch_id INTEGER REFERENCES batches(id), pack_name TEXT NOT NULL, pack_version TEXT NOT NULL, pack_hashes TEXT NOT NULL,
  provider TEXT NOT NULL, verdict TEXT NOT NULL, score REAL NOT NULL, threshold REAL, probabilities TEXT NOT NULL,
  scores TEXT NOT NULL, thresholds TEXT NOT NULL, regions TEXT NOT NULL, explanation TEXT, timings TEXT NOT NULL,
  config_hash TEXT, operator_id TEXT);
CREATE INDEX runs_time ON inference_runs(created_at);
CREATE INDEX runs_case ON inference_runs(case_id, created_at);
CREATE INDEX runs_verdict_time ON inference_runs(verdict, created_at);
CREATE TABLE reviews(
  id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES inference_runs(id), operator_id TEXT NOT NULL REFERENCES operators(id),
  decision TEXT NOT NULL CHECK (decision IN ('accept','reject','override','uncertain')), label TEXT, boxes TEXT NOT NULL,
  note TEXT, supersedes INTEGER REFERENCES reviews(id), created_at INTEGER NOT NULL);
CREATE INDEX reviews_run ON reviews(run_id, id);
CREATE TABLE errors(
  id INTEGER PRIMARY KEY, created_at INTEGER NOT NULL, day TEXT NOT NULL, stage TEXT NOT NULL, code TEXT NOT NULL,
  message TEXT NOT NULL, details TEXT NOT NULL, source_path TEXT, sha256 TEXT, pack_name TEXT, batch_id INTEGER,
  case_key TEXT, operator_id TEXT);
CREATE INDEX errors_time ON errors(created_at);
CREATE TABLE blobs(
  hash TEXT PRIMARY KEY, kind TEXT NOT NULL, dtype TEXT, shape TEXT, bytes INTEGER NOT NULL, stored_bytes INTEGER NOT NULL,
  created_at INTEGER NOT NULL);
`;

const v2Audit = `
CREATE TABLE audit_log(
  seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, entity TEXT NOT NULL,
  entity_id TEXT NOT NULL, record_hash TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
${IMMUTABLE_TABLES.map(
  (t) => `
CREATE TRIGGER ${t}_no_update BEFORE UPDATE ON ${t} BEGIN SELECT RAISE(ABORT, 'HISTORY_APPEND_ONLY: ${t} rows are never changed'); END;
CREATE TRIGGER ${t}_no_delete BEFORE DELETE ON ${t} BEGIN SELECT RAISE(ABORT, 'HISTORY_APPEND_ONLY: ${t} rows are never deleted'); END;`,
).join('')}
`;

/**
 * Pre-aggregates: dashboards read thousands of rows, never millions. Run and image counts are
 * added by the store per transaction (aggregates.ts), as are new case keys to the search index;
 * errors and review state by triggers.
 */
const v3Stats = `
CREATE INDEX runs_pack_time ON inference_runs(pack_name, created_at, score);
CREATE INDEX runs_score ON inference_runs(score);
-- run_at copies the run's time so "reviewed by X, newest first" walks one index.
CREATE TABLE review_state(
  run_id INTEGER PRIMARY KEY, run_at INTEGER NOT NULL, review_id INTEGER NOT NULL, decision TEXT NOT NULL, label TEXT,
  operator_id TEXT NOT NULL, at INTEGER NOT NULL, pack_name TEXT NOT NULL, day TEXT NOT NULL, ai_label TEXT NOT NULL, human_label TEXT);
CREATE INDEX review_state_operator ON review_state(operator_id, run_at, run_id);
CREATE INDEX review_state_decision ON review_state(decision, run_at, run_id);
CREATE INDEX review_state_time ON review_state(run_at, run_id);
CREATE TABLE stat_daily(day TEXT NOT NULL, pack_name TEXT NOT NULL, verdict TEXT NOT NULL, n INTEGER NOT NULL,
  PRIMARY KEY(day, pack_name, verdict)) WITHOUT ROWID;
CREATE TABLE stat_images_daily(day TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE stat_errors_daily(day TEXT NOT NULL, stage TEXT NOT NULL, code TEXT NOT NULL, n INTEGER NOT NULL,
  PRIMARY KEY(day, stage, code)) WITHOUT ROWID;
CREATE TABLE stat_score_hist(pack_name TEXT NOT NULL, day TEXT NOT NULL, bin INTEGER NOT NULL, n INTEGER NOT NULL,
  PRIMARY KEY(pack_name, day, bin)) WITHOUT ROWID;
CREATE TABLE stat_agreement(pack_name TEXT NOT NULL, day TEXT NOT NULL, ai_label TEXT NOT NULL, human_label TEXT NOT NULL,
  n INTEGER NOT NULL, PRIMARY KEY(pack_name, day, ai_label, human_label)) WITHOUT ROWID;
CREATE TABLE pack_reference(pack_name TEXT NOT NULL, pack_version TEXT NOT NULL, scores TEXT NOT NULL, created_at INTEGER NOT NULL,
  PRIMARY KEY(pack_name, pack_version));
CREATE VIRTUAL TABLE cases_fts USING fts5(case_key, content='cases', content_rowid='id', tokenize='trigram', columnsize=0);

CREATE TRIGGER errors_stats AFTER INSERT ON errors BEGIN
  INSERT INTO stat_errors_daily(day, stage, code, n) VALUES (NEW.day, NEW.stage, NEW.code, 1)
    ON CONFLICT DO UPDATE SET n = n + 1;
END;
-- The latest review of a run is its effective one (the store makes every later review name the
-- one it supersedes); its human label moves the agreement counts from the old cell to the new.
CREATE TRIGGER reviews_state AFTER INSERT ON reviews BEGIN
  UPDATE stat_agreement SET n = n - 1
    WHERE (pack_name, day, ai_label, human_label) IN
      (SELECT pack_name, day, ai_label, human_label FROM review_state WHERE run_id = NEW.run_id AND human_label IS NOT NULL);
  INSERT INTO review_state(run_id, run_at, review_id, decision, label, operator_id, at, pack_name, day, ai_label, human_label)
    SELECT NEW.run_id, r.created_at, NEW.id, NEW.decision, NEW.label, NEW.operator_id, NEW.created_at, r.pack_name, r.day, r.verdict,
      CASE NEW.decision WHEN 'accept' THEN r.verdict WHEN 'override' THEN NEW.label
        WHEN 'reject' THEN coalesce(NEW.label, '(rejected)') ELSE NULL END
    FROM inference_runs r WHERE r.id = NEW.run_id
    ON CONFLICT(run_id) DO UPDATE SET review_id = excluded.review_id, decision = excluded.decision, label = excluded.label,
      operator_id = excluded.operator_id, at = excluded.at, human_label = excluded.human_label;
  INSERT INTO stat_agreement(pack_name, day, ai_label, human_label, n)
    SELECT pack_name, day, ai_label, human_label, 1 FROM review_state WHERE run_id = NEW.run_id AND human_label IS NOT NULL
    ON CONFLICT DO UPDATE SET n = n + 1;
END;
`;

const v3Backfill = `
INSERT INTO stat_daily(day, pack_name, verdict, n) SELECT day, pack_name, verdict, count(*) FROM inference_runs GROUP BY 1, 2, 3;
INSERT INTO stat_images_daily(day, n) SELECT date(created_at / 1000, 'unixepoch', 'localtime'), count(*) FROM images GROUP BY 1;
INSERT INTO stat_errors_daily(day, stage, code, n) SELECT day, stage, code, count(*) FROM errors GROUP BY 1, 2, 3;
INSERT INTO stat_score_hist(pack_name, day, bin, n)
  SELECT pack_name, day, max(0, min(99, CAST(score * 100 AS INTEGER))), count(*) FROM inference_runs GROUP BY 1, 2, 3;
INSERT INTO review_state(run_id, run_at, review_id, decision, label, operator_id, at, pack_name, day, ai_label, human_label)
  SELECT v.run_id, r.created_at, v.id, v.decision, v.label, v.operator_id, v.created_at, r.pack_name, r.day, r.verdict,
    CASE v.decision WHEN 'accept' THEN r.verdict WHEN 'override' THEN v.label
      WHEN 'reject' THEN coalesce(v.label, '(rejected)') ELSE NULL END
  FROM reviews v JOIN inference_runs r ON r.id = v.run_id
  WHERE v.id = (SELECT max(id) FROM reviews w WHERE w.run_id = v.run_id);
INSERT INTO stat_agreement(pack_name, day, ai_label, human_label, n)
  SELECT pack_name, day, ai_label, human_label, count(*) FROM review_state WHERE human_label IS NOT NULL GROUP BY 1, 2, 3, 4;
INSERT INTO cases_fts(cases_fts) VALUES ('rebuild');
`;

const vStation = `
CREATE TABLE station_cases(
  uid TEXT PRIMARY KEY, result_id TEXT NOT NULL UNIQUE, station TEXT NOT NULL, line TEXT NOT NULL,
  serial TEXT NOT NULL, lot TEXT, verdict TEXT NOT NULL, evaluation TEXT NOT NULL, trigger TEXT NOT NULL,
  files TEXT NOT NULL, run_ids TEXT NOT NULL, message TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE INDEX station_cases_time ON station_cases(created_at);
CREATE INDEX station_cases_serial ON station_cases(serial, created_at);
CREATE TABLE station_files(
  name TEXT NOT NULL, sha256 TEXT NOT NULL, case_uid TEXT NOT NULL REFERENCES station_cases(uid),
  PRIMARY KEY(name, sha256));
CREATE TABLE station_outbox(
  id INTEGER PRIMARY KEY, case_uid TEXT NOT NULL REFERENCES station_cases(uid), channel TEXT NOT NULL,
  topic TEXT NOT NULL, payload TEXT NOT NULL, retain INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL, sent_at INTEGER, attempts INTEGER NOT NULL DEFAULT 0);
CREATE INDEX station_outbox_unsent ON station_outbox(channel, id) WHERE sent_at IS NULL;
CREATE TABLE station_runs(run_id INTEGER PRIMARY KEY REFERENCES inference_runs(id), case_uid TEXT NOT NULL REFERENCES station_cases(uid));
CREATE TABLE station_requests(
  idempotency_key TEXT PRIMARY KEY, request_hash TEXT NOT NULL, case_uid TEXT, created_at INTEGER NOT NULL);
`;

/**
 * The DICOM node (src/core/dicomnet): instances received (ids as the sender has them, never names),
 * per-study state for auto-inspection, and the outbox — results waiting to be sent, which survives
 * restarts so nothing is lost when a PACS is down.
 */
const v4DicomNode = `
CREATE TABLE dicom_instances(
  sop_instance_uid TEXT PRIMARY KEY, sop_class_uid TEXT NOT NULL, study_instance_uid TEXT NOT NULL,
  series_instance_uid TEXT NOT NULL, patient_id TEXT NOT NULL, accession_number TEXT NOT NULL, study_date TEXT NOT NULL,
  modality TEXT NOT NULL, body_part TEXT NOT NULL, station_name TEXT NOT NULL, transfer_syntax TEXT NOT NULL,
  path TEXT NOT NULL, bytes INTEGER NOT NULL, sha256 TEXT NOT NULL, calling_aet TEXT NOT NULL, peer_host TEXT NOT NULL,
  received_at INTEGER NOT NULL);
CREATE INDEX dicom_instances_study ON dicom_instances(study_instance_uid, series_instance_uid);
CREATE TABLE dicom_studies(
  study_instance_uid TEXT PRIMARY KEY, patient_id TEXT NOT NULL, accession_number TEXT NOT NULL, study_date TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('received','inspecting','inspected','no-rule','failed')),
  batch_id INTEGER REFERENCES batches(id), error_code TEXT, updated_at INTEGER NOT NULL);
CREATE TABLE dicom_outbox(
  id INTEGER PRIMARY KEY, created_at INTEGER NOT NULL, destination TEXT NOT NULL, kind TEXT NOT NULL,
  sop_class_uid TEXT NOT NULL, sop_instance_uid TEXT NOT NULL, study_instance_uid TEXT NOT NULL, run_id INTEGER,
  path TEXT NOT NULL, status TEXT NOT NULL CHECK (status IN ('pending','sent','failed')), attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL, last_error_code TEXT, last_error TEXT, sent_at INTEGER);
CREATE INDEX dicom_outbox_due ON dicom_outbox(status, next_attempt_at);
`;

/**
 * Evaluations (issue 13): a batch run on a labelled set is marked as an evaluation batch when it
 * starts (its runs then stay out of the production statistics), the integrated verdict of each of
 * its cases is kept as it completes (so a resumed evaluation still has every case), and each
 * computed evaluation and each applied threshold version is an audited, append-only record.
 */
const evaluationTables = `
CREATE TABLE evaluation_batches(batch_id INTEGER PRIMARY KEY REFERENCES batches(id), set_identity TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE evaluation_cases(batch_id INTEGER NOT NULL REFERENCES batches(id), case_key TEXT NOT NULL, verdict TEXT NOT NULL,
  PRIMARY KEY(batch_id, case_key)) WITHOUT ROWID;
CREATE TABLE evaluations(
  id INTEGER PRIMARY KEY, created_at INTEGER NOT NULL, batch_id INTEGER NOT NULL REFERENCES batches(id), set_identity TEXT NOT NULL,
  set_source TEXT NOT NULL, packs TEXT NOT NULL, config_hash TEXT, summary TEXT NOT NULL, operator_id TEXT);
CREATE TABLE evaluation_packs(evaluation_id INTEGER NOT NULL REFERENCES evaluations(id), pack_name TEXT NOT NULL, pack_identity TEXT NOT NULL,
  PRIMARY KEY(pack_identity, evaluation_id)) WITHOUT ROWID;
CREATE TABLE threshold_versions(
  id INTEGER PRIMARY KEY, created_at INTEGER NOT NULL, pack_name TEXT NOT NULL, pack_identity TEXT NOT NULL,
  evaluation_id INTEGER NOT NULL REFERENCES evaluations(id), objective TEXT NOT NULL, low REAL NOT NULL, high REAL NOT NULL,
  human_share REAL, operator_id TEXT NOT NULL);
CREATE INDEX threshold_versions_pack ON threshold_versions(pack_identity, id);
${['evaluation_batches', 'evaluations', 'evaluation_packs', 'threshold_versions']
  .map(
    (t) => `
CREATE TRIGGER ${t}_no_update BEFORE UPDATE ON ${t} BEGIN SELECT RAISE(ABORT, 'HISTORY_APPEND_ONLY: ${t} rows are never changed'); END;
CREATE TRIGGER ${t}_no_delete BEFORE DELETE ON ${t} BEGIN SELECT RAISE(ABORT, 'HISTORY_APPEND_ONLY: ${t} rows are never deleted'); END;`,
  )
  .join('')}
`;

/**
 * Fleet sync (docs/FLEET.md): every synced row enters `sync_outbox` in the transaction that
 * writes it, by an AFTER INSERT trigger, so no writer can forget it. Rows are append-only, so
 * the outbox holds only (table, key); the sync reads the row when it sends it. A later table is
 * synced by one more `outboxTrigger('table', 'key')` line in its own migration.
 */
export function outboxTrigger(table: string, key: string): string {
  return `
CREATE TRIGGER ${table}_outbox AFTER INSERT ON ${table} BEGIN INSERT INTO sync_outbox(tbl, rid) VALUES ('${table}', NEW.${key}); END;
INSERT INTO sync_outbox(tbl, rid) SELECT '${table}', ${key} FROM ${table} ORDER BY rowid;`;
}

const vFleetOutbox = `
CREATE TABLE sync_outbox(seq INTEGER PRIMARY KEY AUTOINCREMENT, tbl TEXT NOT NULL, rid TEXT NOT NULL);
${[
  ['operators', 'id'],
  ['cases', 'id'],
  ['batches', 'id'],
  ['images', 'id'],
  ['inference_runs', 'id'],
  ['reviews', 'id'],
  ['errors', 'id'],
  ['audit_log', 'seq'],
  ['station_cases', 'uid'],
  // Evaluations and threshold versions are audited, so central verify needs them. evaluation_cases and
  // evaluation_packs are not synced yet: the sync reads a row back by a single-column key.
  ['evaluation_batches', 'batch_id'],
  ['evaluations', 'id'],
  ['threshold_versions', 'id'],
]
  .map(([t, k]) => outboxTrigger(t!, k!))
  .join('')}
`;

const vReviewMeasurements = `
CREATE TABLE review_measurements(
  id INTEGER PRIMARY KEY, review_id INTEGER NOT NULL REFERENCES reviews(id), kind TEXT NOT NULL CHECK (kind IN ('length','rectangle','ellipse')),
  points TEXT NOT NULL, frame_number INTEGER, source TEXT, value TEXT NOT NULL, unit TEXT, created_at INTEGER NOT NULL);
CREATE INDEX review_measurements_review ON review_measurements(review_id, id);
CREATE TRIGGER review_measurements_no_update BEFORE UPDATE ON review_measurements BEGIN SELECT RAISE(ABORT, 'HISTORY_APPEND_ONLY: review_measurements rows are never changed'); END;
CREATE TRIGGER review_measurements_no_delete BEFORE DELETE ON review_measurements BEGIN SELECT RAISE(ABORT, 'HISTORY_APPEND_ONLY: review_measurements rows are never deleted'); END;
${outboxTrigger('review_measurements', 'id')}
`;

const vGroundingReview = `
ALTER TABLE inference_runs ADD COLUMN grounding_prompt TEXT;
CREATE TABLE box_reviews(
  id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES inference_runs(id), box_index INTEGER NOT NULL,
  box TEXT NOT NULL, label TEXT NOT NULL, decision TEXT NOT NULL CHECK (decision IN ('accept', 'reject')),
  operator_id TEXT NOT NULL REFERENCES operators(id), created_at INTEGER NOT NULL);
CREATE INDEX box_reviews_run ON box_reviews(run_id, box_index, id);
CREATE TABLE system_agreements(
  id INTEGER PRIMARY KEY, created_at INTEGER NOT NULL, case_key TEXT NOT NULL, image_sha256 TEXT NOT NULL,
  runs TEXT NOT NULL, match_iou REAL NOT NULL, mean_iou REAL, summary TEXT NOT NULL, operator_id TEXT);
CREATE INDEX system_agreements_case ON system_agreements(case_key, id);
${['box_reviews', 'system_agreements']
  .map(
    (t) => `
CREATE TRIGGER ${t}_no_update BEFORE UPDATE ON ${t} BEGIN SELECT RAISE(ABORT, 'HISTORY_APPEND_ONLY: ${t} rows are never changed'); END;
CREATE TRIGGER ${t}_no_delete BEFORE DELETE ON ${t} BEGIN SELECT RAISE(ABORT, 'HISTORY_APPEND_ONLY: ${t} rows are never deleted'); END;`,
  )
  .join('')}
${outboxTrigger('box_reviews', 'id')}
${outboxTrigger('system_agreements', 'id')}
`;

/**
 * Case verdicts as rows (issue 11): the integrated verdict the engine or batch actually gave a case,
 * with the policy that produced it (method, matched rule, `verdict.incomplete` when an image
 * failed), the config hash and the failed-image count, written in the same transaction as the
 * case's runs and errors. Reports read it instead of recomputing from runs (which cannot know that
 * `verdict.incomplete: DEFECT` made the line NG). Audited (entity `case_verdict`) and synced.
 * No foreign key to `cases`: a case whose every image failed has no case row, only errors.
 */
const vCaseVerdicts = `
CREATE TABLE case_verdicts(
  id INTEGER PRIMARY KEY, created_at INTEGER NOT NULL, case_key TEXT NOT NULL, batch_id INTEGER REFERENCES batches(id),
  verdict TEXT NOT NULL, inspected_verdict TEXT, method TEXT NOT NULL, rule INTEGER, incomplete_policy TEXT, score REAL NOT NULL,
  config_hash TEXT, images INTEGER NOT NULL, failed_images INTEGER NOT NULL, run_ids TEXT NOT NULL, operator_id TEXT);
CREATE INDEX case_verdicts_case ON case_verdicts(case_key, id);
CREATE INDEX case_verdicts_time ON case_verdicts(created_at);
CREATE TRIGGER case_verdicts_no_update BEFORE UPDATE ON case_verdicts BEGIN SELECT RAISE(ABORT, 'HISTORY_APPEND_ONLY: case_verdicts rows are never changed'); END;
CREATE TRIGGER case_verdicts_no_delete BEFORE DELETE ON case_verdicts BEGIN SELECT RAISE(ABORT, 'HISTORY_APPEND_ONLY: case_verdicts rows are never deleted'); END;
${outboxTrigger('case_verdicts', 'id')}
`;

/**
 * Threshold versions from reviewed history (issue 13): a version may come from reviewer decisions
 * used as labels instead of an evaluation, so `evaluation_id` may be null when `source` (JSON: what
 * the labels were — kind, date window, counts, a hash of the run ids and truths) says where it came
 * from. SQLite cannot drop a NOT NULL in place: the table is rebuilt with every row and id kept,
 * its index, append-only triggers and outbox trigger recreated (nothing re-queued: the rows are
 * unchanged). `source` is sealed in the audit hash only when set, so every earlier hash verifies.
 */
const vThresholdSources = `
CREATE TABLE threshold_versions_next(
  id INTEGER PRIMARY KEY, created_at INTEGER NOT NULL, pack_name TEXT NOT NULL, pack_identity TEXT NOT NULL,
  evaluation_id INTEGER REFERENCES evaluations(id), objective TEXT NOT NULL, low REAL NOT NULL, high REAL NOT NULL,
  human_share REAL, operator_id TEXT NOT NULL, source TEXT,
  CHECK (evaluation_id IS NOT NULL OR source IS NOT NULL));
INSERT INTO threshold_versions_next(id, created_at, pack_name, pack_identity, evaluation_id, objective, low, high, human_share, operator_id)
  SELECT id, created_at, pack_name, pack_identity, evaluation_id, objective, low, high, human_share, operator_id FROM threshold_versions ORDER BY id;
DROP TABLE threshold_versions;
ALTER TABLE threshold_versions_next RENAME TO threshold_versions;
CREATE INDEX threshold_versions_pack ON threshold_versions(pack_identity, id);
CREATE TRIGGER threshold_versions_no_update BEFORE UPDATE ON threshold_versions BEGIN SELECT RAISE(ABORT, 'HISTORY_APPEND_ONLY: threshold_versions rows are never changed'); END;
CREATE TRIGGER threshold_versions_no_delete BEFORE DELETE ON threshold_versions BEGIN SELECT RAISE(ABORT, 'HISTORY_APPEND_ONLY: threshold_versions rows are never deleted'); END;
CREATE TRIGGER threshold_versions_outbox AFTER INSERT ON threshold_versions BEGIN INSERT INTO sync_outbox(tbl, rid) VALUES ('threshold_versions', NEW.id); END;
`;

/**
 * Explanations recorded after the decision (issue 14): the station publishes a case's OK/NG from its
 * scores and only then draws the map (HiResCAM of the battery pack); the map is not in the signed run
 * but in a record of its own that names the run, the map blob's SHA-256 and the regions read off it.
 * Audited (entity `explanation`), append-only, synced. Runs recorded with their map keep it as before.
 */
const vRunExplanations = `
CREATE TABLE run_explanations(
  id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES inference_runs(id), created_at INTEGER NOT NULL,
  method TEXT NOT NULL, explanation TEXT NOT NULL, blob_sha256 TEXT, regions TEXT NOT NULL, score REAL, timings TEXT NOT NULL,
  operator_id TEXT);
CREATE INDEX run_explanations_run ON run_explanations(run_id, id);
CREATE TRIGGER run_explanations_no_update BEFORE UPDATE ON run_explanations BEGIN SELECT RAISE(ABORT, 'HISTORY_APPEND_ONLY: run_explanations rows are never changed'); END;
CREATE TRIGGER run_explanations_no_delete BEFORE DELETE ON run_explanations BEGIN SELECT RAISE(ABORT, 'HISTORY_APPEND_ONLY: run_explanations rows are never deleted'); END;
${outboxTrigger('run_explanations', 'id')}
`;

/** Order in which existing rows are logged when the audit chain is introduced over old data. */
const BACKFILL_ORDER: AuditEntity[] = ['operator', 'batch', 'run', 'review', 'error'];

export const MIGRATIONS: Migration[] = [
  { version: 1, name: 'core records', up: (db) => db.exec(v1Core) },
  {
    version: 2,
    name: 'audit chain',
    up(db) {
      db.exec(v2Audit);
      // Rows written before the chain existed are logged now, as the migration's own entries.
      const chain = new AuditAppender(db);
      const read = storedRecordReader(db);
      const at = Date.now();
      for (const entity of BACKFILL_ORDER) {
        const spec = HASHED_COLUMNS[entity];
        const keys = db.prepare(`SELECT ${spec.key} AS k FROM ${spec.table} ORDER BY ${spec.key}`).pluck().all() as (string | number)[];
        for (const k of keys) chain.append(at, 'migration', `${entity}.backfill`, entity, k, read(entity, k)!.hash);
      }
    },
  },
  {
    version: 3,
    name: 'statistics, review state, case search',
    up(db) {
      db.exec(v3Stats);
      db.exec(v3Backfill);
    },
  },
  { version: 4, name: 'dicom node: received instances, studies, outbox', up: (db) => db.exec(v4DicomNode) },
  {
    version: 5,
    name: 'station cases and outbox',
    // The station's exactly-once ledger: one row per published case (keyed by its files' hashes), the
    // files it consumed, and the messages not yet acknowledged by their peer — all written in the same
    // transaction as the case's runs, so a kill -9 leaves either all of them or none.
    up: (db) => db.exec(vStation),
  },
  {
    version: 6,
    name: 'batch writer lease, chained baseline and operator',
    up(db) {
      // One writer per batch (batchLock.ts): a lease row with a heartbeat, not a PID file.
      db.exec(`CREATE TABLE batch_locks(batch_id INTEGER PRIMARY KEY REFERENCES batches(id), holder TEXT NOT NULL, pid INTEGER NOT NULL,
  host TEXT NOT NULL, token TEXT NOT NULL, acquired_at INTEGER NOT NULL, heartbeat_at INTEGER NOT NULL)`);
      // Drift baselines and the selected operator are shown but derive from no row: from now on
      // they are logged in the chain when set (derived.ts); the values already there are logged now.
      const chain = new AuditAppender(db);
      const at = Date.now();
      for (const r of db.prepare('SELECT pack_name, pack_version, scores FROM pack_reference ORDER BY 1, 2').all() as { pack_name: string; pack_version: string; scores: string }[]) {
        chain.append(at, 'migration', 'pack_reference.set', 'event', `${r.pack_name}@${r.pack_version}`, referenceHash(r.scores));
      }
      const current = db.prepare(`SELECT value FROM settings WHERE key = 'operator.current'`).pluck().get() as string | undefined;
      if (current !== undefined) chain.append(at, 'migration', 'operator.select', 'event', 'operator.current', operatorSelectionHash(current));
    },
  },
  { version: 7, name: 'evaluation runs and threshold versions', up: (db) => db.exec(evaluationTables) },
  { version: 8, name: 'fleet sync outbox', up: (db) => db.exec(vFleetOutbox) },
  {
    version: 9,
    name: 'requested execution providers on runs',
    // The providers asked for (JSON list; NULL = the default order) beside the one that ran (`provider`).
    up: (db) => db.exec('ALTER TABLE inference_runs ADD COLUMN providers_requested TEXT'),
  },
  {
    version: 10,
    name: 'reviewer measurements',
    // Lengths and ROI statistics the reviewer took, each an audited, append-only row of its review
    // (written in the review's transaction), so the reviewed SR can carry them (docs/DICOM-NODE.md).
    up: (db) => db.exec(vReviewMeasurements),
  },
  {
    version: 11,
    name: 'grounding prompt on runs, per-box reviews, system agreements',
    // The prompt a grounding run used (a reviewer may edit it and re-run); each box's accept/reject by
    // a reviewer; the agreement figure of the systems compared on one image. All audited, append-only, synced.
    up: (db) => db.exec(vGroundingReview),
  },
  { version: 12, name: 'case verdicts as rows', up: (db) => db.exec(vCaseVerdicts) },
  { version: 13, name: 'threshold versions from reviewed history', up: (db) => db.exec(vThresholdSources) },
  {
    version: 14,
    name: SIGNING_MIGRATION,
    // An evaluation batch's mark keeps its runs out of the production statistics, which verify
    // recomputes through it: from now on the mark is signed when written (records.ts). The DICOM
    // worklist rows change in place, so they are chained (derived.ts: each write logs the row's
    // hash). The marks and worklist rows already there are logged now, as the migration's entries.
    // No existing hash changes.
    up(db) {
      const chain = new AuditAppender(db);
      const read = storedRecordReader(db);
      const at = Date.now();
      for (const k of db.prepare('SELECT batch_id FROM evaluation_batches ORDER BY batch_id').pluck().all() as number[]) {
        chain.append(at, 'migration', 'evaluation_batch.backfill', 'evaluation_batch', k, read('evaluation_batch', k)!.hash);
      }
      for (const row of db.prepare(`SELECT ${DICOM_INSTANCE_COLUMNS.join(',')} FROM dicom_instances ORDER BY received_at, sop_instance_uid`).all() as Record<string, unknown>[]) {
        chain.append(at, 'migration', 'dicom.instance', 'event', row['sop_instance_uid'] as string, dicomRowHash('dicom.instance', row));
      }
      for (const row of db.prepare(`SELECT ${DICOM_STUDY_COLUMNS.join(',')} FROM dicom_studies ORDER BY updated_at, study_instance_uid`).all() as Record<string, unknown>[]) {
        chain.append(at, 'migration', 'dicom.study', 'event', row['study_instance_uid'] as string, dicomRowHash('dicom.study', row));
      }
    },
  },
  {
    version: 15,
    name: LEDGER_CHAIN_MIGRATION,
    // The station ledger (the Line room's cases, their files, runs and messages to the line) and the
    // DICOM outbox (the worklist's "Results sent") change in place, so they are chained like the
    // worklist (derived.ts): from now on every write logs the row's hash. The rows already there are
    // logged now, as the migration's entries, so old histories and backups still verify. No existing hash changes.
    up(db) {
      const chain = new AuditAppender(db);
      const at = Date.now();
      for (const action of ['ledger.case', 'ledger.file', 'ledger.run', 'ledger.outbox', 'dicom.outbox'] as const) {
        for (const r of chainedRows(db, action)) chain.append(at, 'migration', action, 'event', r.id, r.hash);
      }
    },
  },
  { version: 16, name: RUN_EXPLANATIONS_MIGRATION, up: (db) => db.exec(vRunExplanations) },
];

export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

export function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Brings the database to `target` (default: latest). Returns the version it started from. */
export function migrate(db: Database.Database, target = LATEST_VERSION): number {
  const from = schemaVersion(db);
  if (from > LATEST_VERSION) {
    throw new InspectorError('HISTORY_SCHEMA_TOO_NEW', `The history database has schema version ${from}; this Inspector knows up to ${LATEST_VERSION}.`, {
      version: from,
      latest: LATEST_VERSION,
    });
  }
  for (const m of MIGRATIONS) {
    if (m.version <= from || m.version > target) continue;
    db.transaction(() => {
      // Re-read under the write lock: another process opening the same file may have migrated it.
      if (schemaVersion(db) >= m.version) return;
      m.up(db);
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
  }
  return from;
}
