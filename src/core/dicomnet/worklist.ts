/**
 * The radiographer's worklist: every study the node received or retrieved, from the history's
 * `dicom_studies` / `dicom_instances` rows, with the AI status of its auto-inspection. Patient
 * name and study description are not kept in the history (it holds ids only, docs/DICOM-NODE.md):
 * they are read from the study's first instance in the inbox, header only, when the list is asked
 * for, so they stay where the images are.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { dirname } from 'node:path';
import type Database from 'better-sqlite3';
import { text } from '../imaging/dicom/attributes';
import { dicomParser } from '../imaging/dicom/parse';
import type { StudyStatus } from './records';

/** not-run: no rule matched or not yet stable; findings: see `hasFindings`. */
export type AiStatus = 'not-run' | 'running' | 'findings' | 'no-findings' | 'failed';

export interface WorklistStudy {
  studyInstanceUid: string;
  patientId: string;
  patientName: string;
  studyDate: string;
  accessionNumber: string;
  description: string;
  modalities: string[];
  series: number;
  instances: number;
  /** AE titles the instances came from (a C-MOVE arrives from the PACS that was asked). */
  from: string[];
  aiStatus: AiStatus;
  /** The node's own state (received, inspecting, inspected, no-rule, failed) and its error code. */
  nodeStatus: StudyStatus;
  errorCode: string | null;
  batchId: number | null;
  runIds: number[];
  /** The study's inbox folder (`<inbox>/<Study UID>`): opened as the case's folder. */
  folder: string;
  updatedAt: number;
  /** What the node sent back for this study (its runs' SR/SC/SEG, reviewed SRs): the outbox rows by state. */
  outbox: OutboxSummary;
}

export interface OutboxSummary {
  pending: number;
  sent: number;
  failed: number;
  /** The latest failure of an entry not yet sent: its code and when the next attempt is due. */
  lastErrorCode: string | null;
  nextAttemptAt: number | null;
}

/** A header is at most this much of a file here; reading the whole of a 100 MB multi-frame object for a name is waste. */
const HEADER_BYTES = 256 * 1024;

function headerText(path: string): { patientName: string; description: string } {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const buf = Buffer.alloc(HEADER_BYTES);
    const n = readSync(fd, buf, 0, HEADER_BYTES, 0);
    // untilTag stops before the pixel data; a header longer than the read is reported as unknown.
    const ds = dicomParser.parseDicom(buf.subarray(0, n), { untilTag: 'x7fe00010' } as never);
    return { patientName: text(ds, 'x00100010') ?? '', description: text(ds, 'x00081030') ?? '' };
  } catch {
    return { patientName: '', description: '' };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * A run needs the reader's attention when its defect score reaches the lower edge of the pack's
 * uncertain band (or its threshold when it has none), or when it is uncertain (input guard): a
 * near-tie is never reported as "no findings".
 */
export function hasFindings(r: { verdict: string; score: number; threshold: number | null; thresholds: string | null }): boolean {
  if (r.verdict === 'uncertain') return true;
  let low: number | undefined;
  try {
    const t = r.thresholds ? (JSON.parse(r.thresholds) as { low?: unknown }) : {};
    if (typeof t.low === 'number') low = t.low;
  } catch {
    /* no band recorded */
  }
  return r.score >= (low ?? r.threshold ?? 0.5);
}

export function aiStatusOf(db: Database.Database, status: StudyStatus, batchId: number | null): { aiStatus: AiStatus; runIds: number[] } {
  if (status === 'inspecting') return { aiStatus: 'running', runIds: [] };
  if (status === 'failed') return { aiStatus: 'failed', runIds: [] };
  if (status !== 'inspected' || batchId === null) return { aiStatus: 'not-run', runIds: [] };
  const runs = db.prepare('SELECT id, verdict, score, threshold, thresholds FROM inference_runs WHERE batch_id = ? ORDER BY id').all(batchId) as {
    id: number;
    verdict: string;
    score: number;
    threshold: number | null;
    thresholds: string | null;
  }[];
  const findings = runs.some((r) => hasFindings(r));
  return { aiStatus: findings ? 'findings' : 'no-findings', runIds: runs.map((r) => r.id) };
}

export function worklist(db: Database.Database, opts: { limit?: number } = {}): WorklistStudy[] {
  const studies = db
    .prepare('SELECT study_instance_uid, patient_id, accession_number, study_date, status, batch_id, error_code, updated_at FROM dicom_studies ORDER BY updated_at DESC LIMIT ?')
    .all(opts.limit ?? 500) as { study_instance_uid: string; patient_id: string; accession_number: string; study_date: string; status: StudyStatus; batch_id: number | null; error_code: string | null; updated_at: number }[];
  const perStudy = db.prepare(
    `SELECT count(*) AS instances, count(DISTINCT series_instance_uid) AS series, group_concat(DISTINCT modality) AS modalities,
       group_concat(DISTINCT calling_aet) AS from_aets, min(path) AS first FROM dicom_instances WHERE study_instance_uid = ?`,
  );
  // De-identified copies carry another Study UID: rows of the study's runs count too.
  const outboxOf = (study: string, runIds: number[]): OutboxSummary => {
    const rows = db
      .prepare(
        `SELECT status, last_error_code, next_attempt_at FROM dicom_outbox
         WHERE study_instance_uid = ? OR run_id IN (SELECT value FROM json_each(?)) ORDER BY id`,
      )
      .all(study, JSON.stringify(runIds)) as { status: 'pending' | 'sent' | 'failed'; last_error_code: string | null; next_attempt_at: number }[];
    const out: OutboxSummary = { pending: 0, sent: 0, failed: 0, lastErrorCode: null, nextAttemptAt: null };
    for (const r of rows) {
      out[r.status]++;
      if (r.status !== 'sent' && r.last_error_code) out.lastErrorCode = r.last_error_code;
      if (r.status === 'pending') out.nextAttemptAt = Math.min(out.nextAttemptAt ?? Infinity, r.next_attempt_at);
    }
    return out;
  };
  return studies.map((s) => {
    const i = perStudy.get(s.study_instance_uid) as { instances: number; series: number; modalities: string | null; from_aets: string | null; first: string | null };
    const head = i.first ? headerText(i.first) : { patientName: '', description: '' };
    const { aiStatus, runIds } = aiStatusOf(db, s.status, s.batch_id);
    return {
      studyInstanceUid: s.study_instance_uid,
      patientId: s.patient_id,
      patientName: head.patientName,
      studyDate: s.study_date,
      accessionNumber: s.accession_number,
      description: head.description,
      modalities: (i.modalities ?? '').split(',').filter(Boolean).sort(),
      series: i.series,
      instances: i.instances,
      from: (i.from_aets ?? '').split(',').filter(Boolean).sort(),
      aiStatus,
      nodeStatus: s.status,
      errorCode: s.error_code,
      batchId: s.batch_id,
      runIds,
      // <inbox>/<study>/<series>/<sop>.dcm
      folder: i.first ? dirname(dirname(i.first)) : '',
      updatedAt: s.updated_at,
      outbox: outboxOf(s.study_instance_uid, runIds),
    };
  });
}

/** Result objects and documents, not images: a worklist study opens without them. */
const NOT_IMAGES = new Set(['SR', 'SEG', 'KO', 'PR', 'DOC', 'RWV', 'REG', 'PLAN']);

/** The inbox folder of each image series of a study (`<inbox>/<study>/<series>`), by series UID. */
export function studySeriesFolders(db: Database.Database, studyUid: string): { seriesInstanceUid: string; modality: string; folder: string; instances: number }[] {
  const rows = db
    .prepare('SELECT series_instance_uid, modality, min(path) AS first, count(*) AS n FROM dicom_instances WHERE study_instance_uid = ? GROUP BY series_instance_uid ORDER BY min(received_at)')
    .all(studyUid) as { series_instance_uid: string; modality: string; first: string; n: number }[];
  return rows.filter((r) => !NOT_IMAGES.has(r.modality)).map((r) => ({ seriesInstanceUid: r.series_instance_uid, modality: r.modality, folder: dirname(r.first), instances: r.n }));
}

/** The runs of a study's auto-inspection and the inbox file each inspected (to open them as reviewable cases). */
export function studyRuns(db: Database.Database, batchId: number | null): { runId: number; path: string }[] {
  if (batchId === null) return [];
  return db
    .prepare('SELECT r.id AS runId, i.source_path AS path FROM inference_runs r JOIN images i ON i.id = r.image_id WHERE r.batch_id = ? ORDER BY r.id')
    .all(batchId) as { runId: number; path: string }[];
}
