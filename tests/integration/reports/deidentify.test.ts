/**
 * De-identified exports (docs/PRIVACY.md) from a real history of real DICOM files: a CT image of
 * patient "CompressedSamples^CT1" (id 1CT1) kept in a folder named after the patient, inspected,
 * reviewed with a note that names someone, and one image that failed. CSV, JSON and the PDF (read
 * back by Poppler's pdftotext) exported with and without `deidentify`: without it the patient id,
 * name (in the path), UIDs and folders are there; with it they are absent, and the pseudonym and
 * UIDs are exactly the ones the DICOM node's own de-identification gives the same file.
 */
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HistoryStore } from '../../../src/core/history/index';
import { deidentify, pseudonym } from '../../../src/core/dicomnet/deid';
import { deidKey } from '../../../src/core/dicomnet/node';
import { readSource } from '../../../src/core/dicomnet/objects/common';
import { auditReport, DEID_PROFILE, exportHistory, REMOVED } from '../../../src/core/reports/index';
import { repoRoot } from '../../support/paths';
import { sampleRecord, tempDir } from '../../unit/history/support';
import { parseCsv } from './support/csv';
import { pdfText } from './support/pdfText';

const CT = join(repoRoot, 'tests', 'fixtures', 'imaging', 'voi', 'ct_small_voilut.dcm');
const PATIENT_ID = '1CT1';
const STUDY = '1.3.6.1.4.1.5962.1.2.1.20040119072730.12322';
const SERIES = '1.3.6.1.4.1.5962.1.3.1.1.20040119072730.12322';
const SOP = '1.3.6.1.4.1.5962.1.1.1.1.1.20040119072730.12322';
const NOTE = 'Called Jane Roe about the scan';
const UID_ROOT = '1.2.826.0.1.3680043.10.543';
const flat = (s: string) => s.replace(/\s+/g, ' ');
/** Embedded images as Poppler lists them (`pdfimages -list`: two header lines). */
const images = (pdf: string) => spawnSync('pdfimages', ['-list', pdf], { encoding: 'utf8' }).stdout.trim().split('\n').slice(2).length;
const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

describe('de-identified history exports and audit report', () => {
  let t: ReturnType<typeof tempDir>;
  let store: HistoryStore;
  let patientDir: string;
  let key: string;
  /** What the node's de-identification gives the same file (src/core/dicomnet/deid.ts). */
  let node: { PatientID: string; StudyInstanceUID: string; SeriesInstanceUID: string; SOPInstanceUID: string };
  let runIds: number[];

  beforeAll(() => {
    t = tempDir('inspector-deid-');
    // Folders named after the patient, as archives often are.
    patientDir = join(t.dir, 'CompressedSamples^CT1', `MRN_${PATIENT_ID}`);
    mkdirSync(patientDir, { recursive: true });
    const burned = join(patientDir, `${SOP}.dcm`);
    copyFileSync(CT, burned);
    // A copy that says it has no burned-in annotation: the one DICOM thumbnail a de-identified report may show.
    const clean = join(patientDir, 'clean.dcm');
    copyFileSync(CT, clean);
    const mod = spawnSync('dcmodify', ['-nb', '-i', '(0028,0301)=NO', clean], { encoding: 'utf8' });
    expect(mod.status, mod.stderr).toBe(0);

    store = HistoryStore.open(t.file);
    store.createOperator({ id: 'kim.j', name: '김지우', role: 'reviewer' });
    store.createOperator({ id: 'lee.s', name: 'Lee Seoyeon', role: 'supervisor' });
    const dicomRun = (i: number, path: string) =>
      sampleRecord(i, {
        case: { key: STUDY, kind: 'study' },
        image: { sourcePath: path, sha256: sha(path), format: 'dicom', modality: 'ct', width: 128, height: 128, validation: { outcome: 'ok' } },
        verdict: 'pneumonia',
        score: 0.91,
        regions: [{ box: [20, 20, 30, 30], label: 'opacity', score: 0.91 }],
      });
    runIds = store.recordInferences([dicomRun(1, burned), dicomRun(2, clean), sampleRecord(3, { verdict: 'normal', score: 0.1 })]).map((r) => r.runId);
    // A correction with a free-text note and a label the AI never gave (both may carry a name), then one with a class label.
    const first = store.recordReview({ runId: runIds[0]!, operatorId: 'kim.j', decision: 'override', label: 'Roe-case', note: NOTE });
    store.recordReview({ runId: runIds[0]!, operatorId: 'kim.j', decision: 'override', label: 'normal', note: NOTE, supersedes: first });
    store.recordError({ stage: 'validation', code: 'DICOM_TRUNCATED', message: `Cannot read ${join(patientDir, 'broken.dcm')}: it ends early`, sourcePath: join(patientDir, 'broken.dcm'), caseKey: STUDY, packName: 'chest' });

    key = deidKey(store.db);
    node = deidentify(readSource(burned), { uidRoot: UID_ROOT, key }) as typeof node;
  });
  afterAll(() => {
    store?.close();
    t?.cleanup();
  });

  /** Everything identifying that a full export carries and a de-identified one must not. */
  const identifying = () => ['CompressedSamples', PATIENT_ID, STUDY, SERIES, SOP, 'MRN_', t.dir, NOTE, 'Jane Roe', 'Roe-case', '김지우', 'broken.dcm'];

  it('the pseudonym and UIDs used are the DICOM node\'s for this file (same key, same root)', () => {
    expect(node.PatientID).toBe(pseudonym(PATIENT_ID, key));
    expect(node.PatientID).toMatch(/^ANON-[0-9A-F]{12}$/);
    expect(node.StudyInstanceUID.startsWith(`${UID_ROOT}.`)).toBe(true);
    expect(node.StudyInstanceUID).not.toBe(STUDY);
  });

  it('CSV: identifiers present without de-identification; absent with it, replaced by the node\'s pseudonym and UIDs', async () => {
    const full = join(t.dir, 'full.csv');
    await exportHistory(store, {}, 'csv', 'lee.s', { out: full });
    const fullText = readFileSync(full, 'utf8');
    // (The CSV has the effective review only: the superseded one's label is in the PDF.)
    for (const s of identifying().filter((s) => s !== 'Roe-case')) expect(fullText, s).toContain(s);
    const fullRows = parseCsv(fullText.slice(1));
    const fcol = (row: string[], name: string) => row[fullRows[0]!.indexOf(name)];
    const fullRun = fullRows.find((r) => fcol(r, 'run_id') === String(runIds[0]))!;
    expect(fcol(fullRun, 'dicom_patient_id')).toBe(PATIENT_ID);
    expect(fcol(fullRun, 'dicom_sop_uid')).toBe(SOP);
    expect(fcol(fullRun, 'reviewer_name')).toBe('김지우');
    expect(fcol(fullRun, 'deidentified')).toBe('');

    const out = join(t.dir, 'deid.csv');
    const r = await exportHistory(store, { text: '20040119072730' }, 'csv', 'lee.s', { out, deidentify: { uidRoot: UID_ROOT } });
    expect(r.deidentified).toBe(true);
    const text = readFileSync(out, 'utf8');
    for (const s of identifying()) expect(text, s).not.toContain(s);
    const rows = parseCsv(text.slice(1));
    const col = (row: string[], name: string) => row[rows[0]!.indexOf(name)];
    // Every row is marked, the anchor row too.
    expect(rows.slice(1).map((row) => col(row, 'deidentified'))).toEqual(rows.slice(1).map(() => DEID_PROFILE));
    const run = rows.find((row) => col(row, 'run_id') === String(runIds[0]))!;
    expect(col(run, 'dicom_patient_id')).toBe(node.PatientID);
    expect(col(run, 'dicom_study_uid')).toBe(node.StudyInstanceUID);
    expect(col(run, 'dicom_series_uid')).toBe(node.SeriesInstanceUID);
    expect(col(run, 'dicom_sop_uid')).toBe(node.SOPInstanceUID);
    expect(col(run, 'case_key')).toBe(node.StudyInstanceUID);
    expect(col(run, 'image_path')).toMatch(/^IMG-[0-9A-F]{12}\.dcm$/);
    expect(col(run, 'review_note')).toBe(REMOVED);
    expect(col(run, 'review_label')).toBe('normal'); // a class the AI gives: kept
    expect(col(run, 'reviewer_id')).toBe('kim.j');
    expect(col(run, 'reviewer_name')).toBe('');
    expect(col(run, 'run_at')).toBe(fcol(fullRun, 'run_at')); // station times kept
    const failed = rows.find((row) => col(row, 'record') === 'failed_image')!;
    expect(col(failed, 'image_path')).toMatch(/^IMG-[0-9A-F]{12}\.dcm$/);
    expect(col(failed, 'error_message')).toBe(`Cannot read ${col(failed, 'image_path')}: it ends early`);
    expect(col(failed, 'case_key')).toBe(node.StudyInstanceUID);
    // The same file gets the same name in every export; two files get two names.
    const again = join(t.dir, 'deid-again.csv');
    await exportHistory(store, {}, 'csv', 'lee.s', { out: again, deidentify: { uidRoot: UID_ROOT } });
    const againRows = parseCsv(readFileSync(again, 'utf8').slice(1));
    expect(col(againRows.find((row) => col(row, 'run_id') === String(runIds[0]))!, 'image_path')).toBe(col(run, 'image_path'));
    const paths = againRows.filter((row) => col(row, 'record') === 'run').map((row) => col(row, 'image_path'));
    expect(new Set(paths).size).toBe(paths.length);
  });

  it('JSON: a header field says it is de-identified; the rows carry the pseudonym, not the patient', async () => {
    const out = join(t.dir, 'deid.json');
    await exportHistory(store, { text: '20040119072730' }, 'json', 'lee.s', { out, deidentify: { uidRoot: UID_ROOT } });
    const text = readFileSync(out, 'utf8');
    for (const s of identifying()) expect(text, s).not.toContain(s);
    const doc = JSON.parse(text) as { header: { deidentified: { profile: string; uid_root: string }; filters: Record<string, string> }; rows: Record<string, unknown>[] };
    expect(doc.header.deidentified).toMatchObject({ profile: DEID_PROFILE, uid_root: UID_ROOT });
    expect(doc.header.filters['case_key_contains']).toBe(REMOVED);
    // Each run's own identifiers: both DICOM runs are of the one patient and study.
    const dicomRows = doc.rows.filter((row) => row['dicom_patient_id'] !== null && row['record'] === 'run');
    expect(dicomRows.map((row) => row['dicom_patient_id'])).toEqual([node.PatientID, node.PatientID]);
    expect(dicomRows.map((row) => row['dicom_study_uid'])).toEqual([node.StudyInstanceUID, node.StudyInstanceUID]);

    const full = join(t.dir, 'full.json');
    await exportHistory(store, {}, 'json', 'lee.s', { out: full });
    const fullDoc = JSON.parse(readFileSync(full, 'utf8')) as { header: { deidentified: unknown }; rows: Record<string, unknown>[] };
    expect(fullDoc.header.deidentified).toBe(false);
    expect(fullDoc.rows.filter((row) => row['dicom_patient_id'] === PATIENT_ID)).toHaveLength(2);
  });

  it('PDF: a visible de-identified line, the pseudonym and UIDs, no patient, path or note; DICOM thumbnails only when Burned In Annotation is NO', async () => {
    const full = join(t.dir, 'full.pdf');
    await auditReport(store, {}, 'lee.s', { out: full });
    const fullText = flat((await pdfText(readFileSync(full))).join('\n'));
    for (const s of ['CompressedSamples', PATIENT_ID, STUDY, SOP, 'MRN_', NOTE, 'Roe-case', 'broken.dcm']) expect(fullText, s).toContain(s);
    expect(fullText).not.toContain('De-identified');
    expect(fullText).not.toContain('omitted in a de-identified report');

    const out = join(t.dir, 'deid.pdf');
    const r = await auditReport(store, {}, 'lee.s', { out, deidentify: { uidRoot: UID_ROOT } });
    expect(r.deidentified).toBe(true);
    const pages = await pdfText(readFileSync(out));
    const text = flat(pages.join('\n'));
    for (const s of identifying()) expect(text, s).not.toContain(s);
    expect(text).toContain('De-identified (PS3.15 basic profile):');
    // Every page's footer says so too.
    for (const p of pages) expect(flat(p)).toContain('de-identified (PS3.15 basic profile)');
    expect(text).toContain(`DICOM patient ${node.PatientID}`);
    expect(text).toContain(node.SOPInstanceUID);
    expect(text).toContain(`${node.StudyInstanceUID} · run ${runIds[0]}`);
    expect(text).toContain(`Note: ${REMOVED}`);
    expect(text).toContain('kim.j: override -> normal');
    // The file without Burned In Annotation NO: no thumbnail; the one that says NO keeps it.
    expect(text.match(/omitted in a de-identified report/g)).toHaveLength(1);
    expect(images(out)).toBe(1);
    expect(images(full)).toBe(2);
    // The exporter still signs with name and id: the report's signer is not the patient.
    expect(text).toContain('Lee Seoyeon');
  });

  it('a read-only history without a key is refused before any file is written', async () => {
    const fresh = tempDir('inspector-deid-ro-');
    try {
      const s = HistoryStore.open(fresh.file);
      s.createOperator({ id: 'lee.s', name: 'Lee Seoyeon', role: 'supervisor' });
      s.close();
      const ro = HistoryStore.open(fresh.file, { readonly: true });
      try {
        const out = join(fresh.dir, 'x.csv');
        await expect(exportHistory(ro, {}, 'csv', 'lee.s', { out, deidentify: { uidRoot: '2.25' } })).rejects.toMatchObject({ code: 'EXPORT_DEID_NO_KEY' });
        expect(readdirSync(fresh.dir).filter((f) => f.includes('x.csv'))).toEqual([]);
      } finally {
        ro.close();
      }
    } finally {
      fresh.cleanup();
    }
  });
});
