/**
 * The node's rows in the history database (migration "dicom node"): received instances, per-study
 * auto-inspection state and the outbox. Plain SQL on the store's connection; each call is one
 * statement or one transaction.
 */
import type Database from 'better-sqlite3';
import type { InstanceHeader } from './p10';

export interface ReceivedInstance extends InstanceHeader {
  path: string;
  bytes: number;
  sha256: string;
  callingAet: string;
  peerHost: string;
  receivedAt: number;
}

export type StudyStatus = 'received' | 'inspecting' | 'inspected' | 'no-rule' | 'failed';

export function recordInstance(db: Database.Database, r: ReceivedInstance): void {
  db.transaction(() => {
    // A peer re-sending an instance replaces it (same SOP Instance UID = same object, PS3.4 B.2.3).
    db.prepare(
      `INSERT OR REPLACE INTO dicom_instances(sop_instance_uid, sop_class_uid, study_instance_uid, series_instance_uid, patient_id,
         accession_number, study_date, modality, body_part, station_name, transfer_syntax, path, bytes, sha256, calling_aet, peer_host, received_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      r.sopInstanceUid, r.sopClassUid, r.studyInstanceUid, r.seriesInstanceUid, r.patientId, r.accessionNumber, r.studyDate,
      r.modality, r.bodyPart, r.stationName, r.transferSyntaxUid, r.path, r.bytes, r.sha256, r.callingAet, r.peerHost, r.receivedAt,
    );
    db.prepare(
      `INSERT INTO dicom_studies(study_instance_uid, patient_id, accession_number, study_date, status, updated_at) VALUES (?, ?, ?, ?, 'received', ?)
       ON CONFLICT(study_instance_uid) DO UPDATE SET status = 'received', updated_at = excluded.updated_at`,
    ).run(r.studyInstanceUid, r.patientId, r.accessionNumber, r.studyDate, r.receivedAt);
  })();
}

export interface InstanceRow {
  sop_instance_uid: string;
  sop_class_uid: string;
  study_instance_uid: string;
  series_instance_uid: string;
  patient_id: string;
  modality: string;
  body_part: string;
  station_name: string;
  path: string;
  calling_aet: string;
}

export function studyInstances(db: Database.Database, studyUid: string): InstanceRow[] {
  return db
    .prepare('SELECT * FROM dicom_instances WHERE study_instance_uid = ? ORDER BY series_instance_uid, path')
    .all(studyUid) as InstanceRow[];
}

export function instanceByPath(db: Database.Database, path: string): InstanceRow | undefined {
  return db.prepare('SELECT * FROM dicom_instances WHERE path = ?').get(path) as InstanceRow | undefined;
}

export function setStudyStatus(db: Database.Database, studyUid: string, status: StudyStatus, extra: { batchId?: number; errorCode?: string } = {}): void {
  db.prepare('UPDATE dicom_studies SET status = ?, batch_id = coalesce(?, batch_id), error_code = ?, updated_at = ? WHERE study_instance_uid = ?').run(
    status,
    extra.batchId ?? null,
    extra.errorCode ?? null,
    Date.now(),
    studyUid,
  );
}

export interface StudyRow {
  study_instance_uid: string;
  patient_id: string;
  accession_number: string;
  study_date: string;
  status: StudyStatus;
  batch_id: number | null;
  error_code: string | null;
  updated_at: number;
}

export function listStudies(db: Database.Database): StudyRow[] {
  return db.prepare('SELECT * FROM dicom_studies ORDER BY updated_at DESC').all() as StudyRow[];
}
