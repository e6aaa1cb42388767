/**
 * The node's rows in the history database (migration "dicom node"): received instances, per-study
 * auto-inspection state and the outbox. Plain SQL on the store's connection; each call is one
 * statement or one transaction. Instance and study writes go through the store's write, so the
 * rows' hashes enter the audit chain with them (history/derived.ts).
 */
import type Database from 'better-sqlite3';
import { DICOM_INSTANCE_COLUMNS, DICOM_STUDY_COLUMNS, dicomRowHash } from '../history/derived';
import type { WriteTx } from '../history/records';
import type { HistoryStore } from '../history/store';
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

/**
 * One received instance: its row, its study's row, and both rows' hashes logged in the audit chain
 * in the same transaction (history/derived.ts: the worklist is chained, so `audit verify` catches a
 * row edited, added or removed outside the app). The actor is the AE that sent it.
 */
export function recordInstance(store: HistoryStore, r: ReceivedInstance): void {
  store.write((tx) => {
    // A peer re-sending an instance replaces it (same SOP Instance UID = same object, PS3.4 B.2.3).
    tx.sql(
      `INSERT OR REPLACE INTO dicom_instances(sop_instance_uid, sop_class_uid, study_instance_uid, series_instance_uid, patient_id,
         accession_number, study_date, modality, body_part, station_name, transfer_syntax, path, bytes, sha256, calling_aet, peer_host, received_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      r.sopInstanceUid, r.sopClassUid, r.studyInstanceUid, r.seriesInstanceUid, r.patientId, r.accessionNumber, r.studyDate,
      r.modality, r.bodyPart, r.stationName, r.transferSyntaxUid, r.path, r.bytes, r.sha256, r.callingAet, r.peerHost, r.receivedAt,
    );
    tx.sql(
      `INSERT INTO dicom_studies(study_instance_uid, patient_id, accession_number, study_date, status, updated_at) VALUES (?, ?, ?, ?, 'received', ?)
       ON CONFLICT(study_instance_uid) DO UPDATE SET status = 'received', updated_at = excluded.updated_at`,
    ).run(r.studyInstanceUid, r.patientId, r.accessionNumber, r.studyDate, r.receivedAt);
    const instance = tx.sql(`SELECT ${DICOM_INSTANCE_COLUMNS.join(',')} FROM dicom_instances WHERE sop_instance_uid = ?`).get(r.sopInstanceUid) as Record<string, unknown>;
    tx.chain.append(tx.now(), r.callingAet, 'dicom.instance', 'event', r.sopInstanceUid, dicomRowHash('dicom.instance', instance));
    logStudy(tx, r.studyInstanceUid, r.callingAet);
  });
}

function logStudy(tx: WriteTx, studyUid: string, actor: string): void {
  const study = tx.sql(`SELECT ${DICOM_STUDY_COLUMNS.join(',')} FROM dicom_studies WHERE study_instance_uid = ?`).get(studyUid) as Record<string, unknown> | undefined;
  if (study) tx.chain.append(tx.now(), actor, 'dicom.study', 'event', studyUid, dicomRowHash('dicom.study', study));
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

/** A study's node status (the worklist's AI status with its batch's signed runs), chained like its receipt. */
export function setStudyStatus(store: HistoryStore, studyUid: string, status: StudyStatus, extra: { batchId?: number; errorCode?: string } = {}): void {
  store.write((tx) => {
    tx.sql('UPDATE dicom_studies SET status = ?, batch_id = coalesce(?, batch_id), error_code = ?, updated_at = ? WHERE study_instance_uid = ?').run(
      status,
      extra.batchId ?? null,
      extra.errorCode ?? null,
      tx.now(),
      studyUid,
    );
    logStudy(tx, studyUid, 'system');
  });
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
