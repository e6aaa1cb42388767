/**
 * Failed images are first-class rows of every export: a history with one good image and broken
 * ones in the same case (as `recordInspection` writes them: an `errors` row with file, code,
 * case and batch) gives CSV and JSON rows naming each broken file with its code, and a PDF
 * (read back by Poppler's pdftotext) that lists them, calls the case INCOMPLETE, states the
 * station, numbers pages "N of M", draws thumbnails for defect decisions and ends with a
 * signature block.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HistoryStore } from '../../../src/core/history/index';
import { auditReport, EXPORT_COLUMNS, exportHistory } from '../../../src/core/reports/index';
import { loadStation, saveStation, stationDirOf } from '../../../src/core/settings/index';
import { recordInspection } from '../../../src/host/recordInspection';
import { parseCsv } from '../../integration/reports/support/csv';
import { pdfText } from '../../integration/reports/support/pdfText';
import { repoRoot } from '../../support/paths';
import { sampleRecord, tempDir } from '../history/support';

const flat = (s: string) => s.replace(/\s+/g, ' ');
const images = join(repoRoot, 'tests', 'fixtures', 'packs', 'images');
const BROKEN = [
  { file: 'cell_07_b.png', code: 'IMAGE_TRUNCATED', message: 'The PNG ends before its pixel data.' },
  { file: 'cell_07_c.png', code: 'IMAGE_EMPTY_FILE', message: 'The file is empty.' },
];

describe('failed images in CSV, JSON and the PDF audit report', () => {
  let t: ReturnType<typeof tempDir>;
  let store: HistoryStore;
  let good: string;
  beforeAll(() => {
    t = tempDir('inspector-failed-');
    saveStation(t.dir, { id: 'ST01', line: 'L2', name: 'CT bay 1' });
    store = HistoryStore.open(t.file);
    store.createOperator({ id: 'park.m', name: 'Park Minjun', role: 'supervisor' });
    good = join(t.dir, 'cell_07_a.png');
    copyFileSync(join(images, 'defect_4.png'), good);
    const sha = createHash('sha256').update(readFileSync(good)).digest('hex');
    const batch = store.startBatch({ name: 'lineA', source: t.dir });
    // The good image of case CELL-07, recorded with the station from station.yaml (none given).
    const rec = sampleRecord(1, { case: { key: 'CELL-07', kind: 'part' }, image: { ...sampleRecord(1).image, sourcePath: good, sha256: sha, width: 64, height: 64 } });
    const run = store.recordInferences([{ ...rec, verdict: 'pneumonia', score: 0.9, regions: [{ box: [8, 8, 20, 16], label: 'opacity', score: 0.9 }], batchId: batch }])[0]!.runId;
    store.recordReview({ runId: run, operatorId: 'park.m', decision: 'override', label: 'normal' });
    // Its broken siblings, as recordInspection records them.
    for (const b of BROKEN) store.recordError({ stage: 'validation', code: b.code, message: b.message, sourcePath: join(t.dir, b.file), caseKey: 'CELL-07', batchId: batch, packName: 'chest' });
    // A text file beside them, skipped as not an image (recordSkipped's row): listed, never INCOMPLETE.
    store.recordError({ stage: 'validation', code: 'INPUT_NOT_AN_IMAGE', message: 'Skipped notes.txt', sourcePath: join(t.dir, 'notes.txt'), caseKey: 'CELL-08', batchId: batch, details: { skipped: true } });
    // A pass case on its own.
    store.recordInferences([sampleRecord(2, { case: { key: 'CELL-08', kind: 'part' }, verdict: 'normal', score: 0.1 })]);
  });
  afterAll(() => {
    store?.close();
    t?.cleanup();
  });

  it('CSV: one row per failed image with file, code, message, case, batch and time, after the runs', async () => {
    const out = join(t.dir, 'h.csv');
    const res = await exportHistory(store, {}, 'csv', 'park.m', { out });
    expect(res.failedImages).toBe(2);
    const [header, ...rows] = parseCsv(readFileSync(out, 'utf8').replace(/^\uFEFF/, ''));
    expect(header).toEqual(EXPORT_COLUMNS.map((c) => c.name));
    const col = (row: string[], name: string) => row[header!.indexOf(name)];
    const failed = rows.filter((r) => col(r, 'record') === 'failed_image');
    expect(failed.map((r) => [col(r, 'image_path'), col(r, 'error_code'), col(r, 'error_message'), col(r, 'case_key'), col(r, 'ai_verdict')])).toEqual(
      BROKEN.map((b) => [join(t.dir, b.file), b.code, b.message, 'CELL-07', 'FAILED']),
    );
    for (const r of failed) {
      expect(col(r, 'run_id')).toBe('');
      expect(col(r, 'batch_id')).toMatch(/^\d+$/);
      expect(Date.parse(col(r, 'run_at')!)).toBeGreaterThan(0);
    }
    expect(rows.filter((r) => col(r, 'record') === 'run')).toHaveLength(2);
    const skipped = rows.filter((r) => col(r, 'record') === 'skipped_file');
    expect(skipped.map((r) => [col(r, 'image_path'), col(r, 'error_code'), col(r, 'ai_verdict')])).toEqual([[join(t.dir, 'notes.txt'), 'INPUT_NOT_AN_IMAGE', 'SKIPPED']]);
    // A verdict filter keeps failed images only when it asks for INCOMPLETE; a reviewer filter never does.
    expect((await exportHistory(store, { verdicts: ['pneumonia'] }, 'csv', 'park.m', { out: join(t.dir, 'v.csv') })).failedImages).toBe(0);
    expect((await exportHistory(store, { verdicts: ['INCOMPLETE'] }, 'csv', 'park.m', { out: join(t.dir, 'i.csv') })).failedImages).toBe(2);
    expect((await exportHistory(store, { reviewer: 'park.m' }, 'csv', 'park.m', { out: join(t.dir, 'r.csv') })).failedImages).toBe(0);
  });

  it('JSON: the header counts failed images and the rows hold them under the same keys', async () => {
    const out = join(t.dir, 'h.json');
    await exportHistory(store, {}, 'json', 'park.m', { out });
    const doc = JSON.parse(readFileSync(out, 'utf8')) as { header: { failed_images: number; skipped_files: number }; rows: Record<string, unknown>[] };
    expect(doc.header.failed_images).toBe(2);
    expect(doc.header.skipped_files).toBe(1);
    const failed = doc.rows.filter((r) => r['record'] === 'failed_image');
    expect(failed.map((r) => [r['image_path'], r['error_code'], r['case_key']])).toEqual(BROKEN.map((b) => [join(t.dir, b.file), b.code, 'CELL-07']));
    expect(doc.rows.filter((r) => r['record'] === 'run').every((r) => r['error_code'] === null)).toBe(true);
  });

  it('PDF: failed images listed, the case INCOMPLETE, station, "page N of M", thumbnail and signature block', async () => {
    const out = join(t.dir, 'report.pdf');
    const res = await auditReport(store, {}, 'park.m', { out, station: loadStation(stationDirOf(store.file)) });
    if (process.env['KEEP_REPORT']) copyFileSync(out, process.env['KEEP_REPORT']);
    expect(res.failedImages).toBe(2);
    const bytes = readFileSync(out);
    const pages = await pdfText(bytes);
    const text = flat(pages.join('\n'));
    expect(text).toContain('Station: ST01 (CT bay 1), line L2');
    expect(text).toContain('Failed images: 2');
    for (const b of BROKEN) {
      expect(text).toContain(`${b.file} · ${b.code}`);
      expect(text).toContain(b.message);
    }
    expect(text).toMatch(/Case CELL-07 · batch \d+ · validation/);
    expect(text).toMatch(/CELL-07: INCOMPLETE \(1 run, 2 failed images; reviews: override -> normal\)/);
    // The skipped text file is listed but leaves CELL-08 a PASS.
    expect(text).toContain('notes.txt · INPUT_NOT_AN_IMAGE');
    expect(text).toContain('Skipped files: 1');
    expect(text).toMatch(/CELL-08: PASS \(1 run\)/);
    expect(text).toMatch(/Name: Park Minjun Operator ID: park\.m Role: supervisor Date: \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}Z/);
    pages.forEach((p, i) => expect(flat(p)).toContain(`page ${i + 1} of ${pages.length}`));
    expect(flat(pages.at(-1)!)).toContain(`End of report: 2 runs, 2 failed images, ${pages.length} page${pages.length === 1 ? '' : 's'}.`);
    // The thumbnail of the overridden defect run: one embedded image, as Poppler lists it.
    const list = spawnSync('pdfimages', ['-list', out], { encoding: 'utf8' });
    expect(list.status).toBe(0);
    expect(list.stdout.trim().split('\n').slice(2)).toHaveLength(1);
    // The sample case's image does not exist: its run is a pass, so no thumbnail is asked for.
    expect(text).not.toContain('Thumbnail unavailable');
  });

  it('large reports stream with "page N" and still give the count on the last line', async () => {
    const out = join(t.dir, 'streamed.pdf');
    await auditReport(store, {}, 'park.m', { out, bufferPagesUpTo: 0, thumbnails: false });
    const pages = await pdfText(readFileSync(out));
    pages.forEach((p, i) => {
      expect(flat(p)).toContain(`page ${i + 1}`);
      expect(flat(p)).not.toMatch(/page \d+ of \d+/);
    });
    expect(flat(pages.at(-1)!)).toContain(`${pages.length} page`);
  });

  it('recordInspection stamps runs with the station and line of station.yaml beside the database', async () => {
    expect(loadStation(t.dir)).toEqual({ id: 'ST01', line: 'L2', name: 'CT bay 1' });
    const result = {
      source: good,
      caseId: 'CELL-09',
      side: 'internal',
      configSha256: 'c'.repeat(64),
      decision: 'pass',
      defectScore: 0.1,
      provider: 'cpu',
      image: { sha256: 'e'.repeat(64), format: 'png', modality: 'other', width: 64, height: 64, bytes: 100 },
      pack: { name: 'chest', version: '1.0.0', kind: 'classifier', files: {}, manifestSha256: 'f'.repeat(64), inputSize: [64, 64] },
      regions: [],
      timings: { inferenceMs: 1 },
    };
    const [runId] = recordInspection(store, { results: [result], cases: [], configSha256: '', totalMs: 0 } as never);
    expect(runId).toBeGreaterThan(0);
    const row = store.db.prepare("SELECT c.station, c.line FROM cases c WHERE c.case_key = 'CELL-09'").get();
    expect(row).toEqual({ station: 'ST01', line: 'L2' });
    // The CSV's station and line columns now say it.
    const out = join(t.dir, 's.csv');
    await exportHistory(store, { text: 'CELL-09' }, 'csv', 'park.m', { out });
    const [header, first] = parseCsv(readFileSync(out, 'utf8').replace(/^\uFEFF/, ''));
    expect([first![header!.indexOf('station')], first![header!.indexOf('line')]]).toEqual(['ST01', 'L2']);
  });
});

describe('PDF/A-2b audit report', () => {
  it('embeds every font and identifies itself as PDF/A-2b (XMP pdfaid, sRGB output intent)', async () => {
    const t = tempDir('inspector-pdfa-');
    const store = HistoryStore.open(t.file);
    try {
      store.createOperator({ id: 'kim.j', name: '김지우', role: 'reviewer' });
      store.recordInferences([sampleRecord(1), sampleRecord(2)]);
      store.recordError({ stage: 'validation', code: 'IMAGE_EMPTY_FILE', message: 'The file is empty.', sourcePath: '/line/cell_9.png', caseKey: 'SN-9' });
      const out = join(t.dir, 'a.pdf');
      await auditReport(store, {}, 'kim.j', { out, pdfa: true });
      const fonts = spawnSync('pdffonts', [out], { encoding: 'utf8' });
      expect(fonts.status).toBe(0);
      const rows = fonts.stdout.trim().split('\n').slice(2);
      expect(rows.length).toBeGreaterThan(0);
      // Columns: name type encoding emb sub uni object ID — every font embedded.
      for (const r of rows) expect(r.split(/\s+/).at(-5), r).toBe('yes');
      const info = spawnSync('pdfinfo', ['-meta', out], { encoding: 'utf8' }).stdout;
      expect(info).toMatch(/<pdfaid:part>2<\/pdfaid:part>/);
      expect(info).toMatch(/<pdfaid:conformance>B<\/pdfaid:conformance>/);
      expect(spawnSync('pdfinfo', [out], { encoding: 'utf8' }).stdout).toMatch(/PDF version:\s+1\.7/);
      expect(readFileSync(out).includes(Buffer.from('/OutputIntents'))).toBe(true);
      const text = flat((await pdfText(readFileSync(out))).join('\n'));
      expect(text).toContain('cell_9.png · IMAGE_EMPTY_FILE');
      expect(text).toMatch(/page 1 of \d+/);
    } finally {
      store.close();
      t.cleanup();
    }
  });
});
