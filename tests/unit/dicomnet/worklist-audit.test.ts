/**
 * Issue 12 item 5, the DICOM worklist: the Worklist room shows patient, date, accession, modality,
 * series, sending AE and AI status from `dicom_instances` / `dicom_studies`, and patient name and
 * description from the received file. On main none of it was verified: every tampering below passed
 * `audit verify`. The rows are now chained (each write logs the row's hash; derived.ts) and
 * `--blobs` re-hashes the received files against the SHA-256 their chained rows hold.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readHeader, type InstanceHeader } from '../../../src/core/dicomnet/p10';
import { recordInstance, setStudyStatus } from '../../../src/core/dicomnet/records';
import { worklist } from '../../../src/core/dicomnet/worklist';
import { SIGNING_MIGRATION } from '../../../src/core/history/hash';
import { HistoryStore, migrate, MIGRATIONS, readAnchor, verifyAudit } from '../../../src/core/history/index';
import { repoRoot } from '../../support/paths';
import { sampleRecord, tempDir } from '../history/support';

const CR = join(repoRoot, 'resources', 'samples', 'chest-xray-pneumonia', 'dicom', 'RG1_J2KI.dcm');

/** The file into <inbox>/<study>/<series>/<sop>.dcm, recorded as the listener records it (real size and digest). */
function received(dir: string, file: string, sop?: string): { header: InstanceHeader; path: string; bytes: number; sha256: string } {
  const bytes = readFileSync(file);
  const h = { ...readHeader(bytes), ...(sop ? { sopInstanceUid: sop } : {}) };
  const folder = join(dir, 'inbox', h.studyInstanceUid, h.seriesInstanceUid);
  mkdirSync(folder, { recursive: true });
  const path = join(folder, `${h.sopInstanceUid}.dcm`);
  copyFileSync(file, path);
  return { header: h, path, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
}

function tamper(s: HistoryStore, sql: string): void {
  const guards = s.db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%_no_%'").all() as { name: string; sql: string }[];
  for (const g of guards) s.db.exec(`DROP TRIGGER ${g.name}`);
  s.db.exec(sql);
  for (const g of guards) s.db.exec(g.sql);
}

describe('audit verify covers the DICOM worklist', () => {
  let t: ReturnType<typeof tempDir>;
  let s: HistoryStore;
  let study: string;
  let first: { path: string };
  const verify = (blobs = false) => verifyAudit(s.db, readAnchor(t.file), blobs ? { blobs: s.blobs } : {});

  beforeEach(() => {
    t = tempDir('inspector-worklist-audit-');
    s = HistoryStore.open(t.file);
    const a = received(t.dir, CR);
    const b = received(t.dir, CR, `${a.header.sopInstanceUid}.2`);
    first = a;
    study = a.header.studyInstanceUid;
    for (const [i, r] of [a, b].entries()) {
      recordInstance(s, { ...r.header, path: r.path, bytes: r.bytes, sha256: r.sha256, callingAet: 'MODALITY1', peerHost: '127.0.0.1', receivedAt: 1_700_000_000_000 + i });
    }
    const batch = s.startBatch({ name: 'dicom', source: 'dicom' });
    s.recordInference(sampleRecord(1, { batchId: batch, score: 0.2, threshold: 0.5 }));
    setStudyStatus(s, study, 'inspecting');
    setStudyStatus(s, study, 'inspected', { batchId: batch });
  });
  afterEach(() => {
    s.close();
    t.cleanup();
  });

  it('an untouched worklist verifies, and --blobs re-hashes each received file', () => {
    expect(worklist(s.db)[0]).toMatchObject({ studyInstanceUid: study, instances: 2, from: ['MODALITY1'], aiStatus: 'no-findings' });
    const r = verify(true);
    expect(r.firstBreak).toBeNull();
    expect(r.derived).toEqual(expect.arrayContaining(['dicom_instances', 'dicom_studies']));
    expect(r.dicomFilesChecked).toBe(2);
    // Re-sending an instance replaces its row through the app: still verifies.
    const again = received(t.dir, CR);
    recordInstance(s, { ...again.header, path: again.path, bytes: again.bytes, sha256: again.sha256, callingAet: 'PACS2', peerHost: '127.0.0.2', receivedAt: 1_700_000_100_000 });
    expect(verify(true).firstBreak).toBeNull();
  });

  it("the study's patient id edited", () => {
    tamper(s, `UPDATE dicom_studies SET patient_id = 'SOMEONE-ELSE'`);
    expect(verify().firstBreak).toMatchObject({ code: 'AUDIT_DERIVED_MISMATCH', entity: 'dicom_studies', entityId: study });
  });
  it('the AI status flipped (a failed auto-inspection shown as inspected with another batch)', () => {
    const other = s.startBatch({ name: 'other' });
    tamper(s, `UPDATE dicom_studies SET status = 'failed', error_code = 'DICOM_INSPECT_FAILED', batch_id = ${other}`);
    expect(verify().firstBreak).toMatchObject({ code: 'AUDIT_DERIVED_MISMATCH', entity: 'dicom_studies' });
  });
  it("an instance's sending AE and modality edited", () => {
    tamper(s, `UPDATE dicom_instances SET calling_aet = 'TRUSTED_PACS', modality = 'CT' WHERE path = '${first.path}'`);
    expect(verify().firstBreak).toMatchObject({ code: 'AUDIT_DERIVED_MISMATCH', entity: 'dicom_instances' });
  });
  it('a study hidden from the worklist (its rows deleted)', () => {
    tamper(s, `DELETE FROM dicom_instances; DELETE FROM dicom_studies`);
    expect(verify().firstBreak).toMatchObject({ code: 'AUDIT_DERIVED_MISMATCH', entity: 'dicom_instances', message: expect.stringMatching(/is gone/) });
  });
  it('an instance added outside the app', () => {
    tamper(s, `INSERT INTO dicom_instances SELECT sop_instance_uid || '.9', sop_class_uid, study_instance_uid, series_instance_uid || '.9', patient_id, accession_number, study_date, modality,
      body_part, station_name, transfer_syntax, path, bytes, sha256, calling_aet, peer_host, received_at FROM dicom_instances LIMIT 1`);
    expect(verify().firstBreak).toMatchObject({ code: 'AUDIT_DERIVED_MISMATCH', entity: 'dicom_instances', message: expect.stringMatching(/never logged/) });
  });
  it('a received file changed (the worklist reads patient name and description from it) fails --blobs only', () => {
    const bytes = readFileSync(first.path);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
    writeFileSync(first.path, bytes);
    expect(verify().firstBreak).toBeNull();
    expect(verify(true).firstBreak).toMatchObject({ code: 'AUDIT_BLOB_MISMATCH', entity: 'dicom_file' });
  });
});

describe('worklists received before the rows were chained', () => {
  it('verify before the migration, and the migration chains them without changing a hash', () => {
    const t = tempDir('inspector-worklist-old-');
    const signing = MIGRATIONS.find((m) => m.name === SIGNING_MIGRATION)!;
    const db = new Database(t.file);
    migrate(db, signing.version - 1);
    const r = received(t.dir, CR);
    const h = r.header;
    // As the app wrote them then: plain rows, no chain entries.
    db.prepare(
      `INSERT INTO dicom_instances VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(h.sopInstanceUid, h.sopClassUid, h.studyInstanceUid, h.seriesInstanceUid, h.patientId, h.accessionNumber, h.studyDate, h.modality, h.bodyPart, h.stationName, h.transferSyntaxUid, r.path, r.bytes, r.sha256, 'MODALITY1', '127.0.0.1', 1);
    db.prepare(`INSERT INTO dicom_studies(study_instance_uid, patient_id, accession_number, study_date, status, updated_at) VALUES (?, ?, ?, ?, 'received', 1)`).run(h.studyInstanceUid, h.patientId, h.accessionNumber, h.studyDate);
    expect(verifyAudit(db).ok).toBe(true);
    const before = db.prepare('SELECT seq, hash FROM audit_log ORDER BY seq').all();
    migrate(db);
    expect(db.prepare('SELECT seq, hash FROM audit_log ORDER BY seq LIMIT ?').all(before.length)).toEqual(before);
    expect(db.prepare(`SELECT action FROM audit_log WHERE action LIKE 'dicom.%' ORDER BY seq`).pluck().all()).toEqual(['dicom.instance', 'dicom.study']);
    expect(verifyAudit(db).firstBreak).toBeNull();
    db.exec(`UPDATE dicom_studies SET patient_id = 'X'`);
    expect(verifyAudit(db).firstBreak).toMatchObject({ entity: 'dicom_studies' });
    db.close();
    t.cleanup();
  });
});
