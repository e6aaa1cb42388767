/**
 * `audit verify` covers what the app shows, not only the signed rows (on main every one of these
 * tamperings verified OK): the review state (history showing "reject" for a signed accept), the
 * dashboard counts (4,008 runs for 8), the agreement statistics, the score histogram, the error
 * counts, the case search index, the drift baseline and the selected operator; `--blobs` re-hashes
 * the heatmap files. A truncation, once seen by a writing process, is logged as an audit event and
 * the anchor stays where it was: the next write no longer erases the evidence.
 */
import { writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HistoryStore, offMachineAnchor, readAnchor, verifyAudit } from '../../../src/core/history/index';
import { sampleRecord, tempDir } from './support';

function tamper(s: HistoryStore, sql: string): void {
  for (const { name } of s.db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%_no_%'").all() as { name: string }[]) {
    s.db.exec(`DROP TRIGGER ${name}`);
  }
  s.db.exec(sql);
}

describe('audit verify covers the derived tables, baselines, operator, search index and blobs', () => {
  let t: ReturnType<typeof tempDir>;
  let s: HistoryStore;
  let blob: string;
  const verify = (blobs = false) => verifyAudit(s.db, readAnchor(t.file), blobs ? { blobs: s.blobs } : {});
  const rebuildGuards = () => {
    // The guards' absence is its own finding; put them back so only the derived table is at issue.
    for (const t2 of ['audit_log', 'reviews', 'inference_runs']) {
      s.db.exec(`CREATE TRIGGER IF NOT EXISTS ${t2}_no_update BEFORE UPDATE ON ${t2} BEGIN SELECT RAISE(ABORT, 'x'); END;`);
      s.db.exec(`CREATE TRIGGER IF NOT EXISTS ${t2}_no_delete BEFORE DELETE ON ${t2} BEGIN SELECT RAISE(ABORT, 'x'); END;`);
    }
  };
  const derivedBreak = (sql: string) => {
    tamper(s, sql);
    rebuildGuards();
    return verify().firstBreak;
  };

  beforeEach(() => {
    t = tempDir();
    s = HistoryStore.open(t.file);
    s.createOperator({ id: 'kim', name: 'Kim', role: 'reviewer' });
    s.selectOperator('kim');
    blob = s.putBlob('heatmap', new Float32Array([0.1, 0.5, 0.9, 0.2]), { dtype: 'float32', shape: [2, 2] }).hash;
    for (let i = 0; i < 8; i++) {
      const rec = sampleRecord(i);
      s.recordInference(i === 0 ? { ...rec, explanation: { ...rec.explanation!, blob } } : rec);
    }
    s.recordReview({ runId: 2, operatorId: 'kim', decision: 'accept' });
    s.recordError({ stage: 'validation', code: 'DICOM_TRUNCATED_PIXEL_DATA', message: 'Pixel data ends early.' });
    s.setPackReference('chest', '1.0.0', Array.from({ length: 20 }, (_, i) => i / 20));
  });
  afterEach(() => {
    s.close();
    t.cleanup();
  });

  it('an untouched history verifies and names every shown table it checked', () => {
    const r = verify(true);
    expect(r.ok).toBe(true);
    expect(r.derived).toEqual([
      'review_state', 'stat_daily', 'stat_images_daily', 'stat_score_hist', 'stat_errors_daily', 'stat_agreement', 'evaluation_packs', 'cases_fts', 'pack_reference', 'operator.current',
      'dicom_instances', 'dicom_studies', 'station_cases', 'station_files', 'station_runs', 'station_outbox', 'dicom_outbox',
    ]);
    expect(r.blobsChecked).toBe(1);
  });

  it('review_state showing "reject" for a signed accept', () => {
    expect(derivedBreak(`UPDATE review_state SET decision = 'reject', human_label = '(rejected)' WHERE run_id = 2`)).toMatchObject({ code: 'AUDIT_DERIVED_MISMATCH', entity: 'review_state' });
  });
  it('stat_daily inflated (4,008 runs shown for 8)', () => {
    expect(derivedBreak(`UPDATE stat_daily SET n = n + 4000 WHERE (day, pack_name, verdict) = (SELECT day, pack_name, verdict FROM stat_daily LIMIT 1)`)).toMatchObject({
      code: 'AUDIT_DERIVED_MISMATCH',
      entity: 'stat_daily',
    });
  });
  it('agreement statistics edited', () => {
    expect(derivedBreak(`UPDATE stat_agreement SET human_label = 'pneumonia' WHERE 1`)).toMatchObject({ entity: 'stat_agreement' });
  });
  it('score histogram edited', () => {
    expect(derivedBreak(`UPDATE stat_score_hist SET n = n + 1 WHERE bin = (SELECT min(bin) FROM stat_score_hist)`)).toMatchObject({ entity: 'stat_score_hist' });
  });
  it('image counts edited', () => {
    expect(derivedBreak(`UPDATE stat_images_daily SET n = n + 100`)).toMatchObject({ entity: 'stat_images_daily' });
  });
  it('error counts edited', () => {
    expect(derivedBreak(`UPDATE stat_errors_daily SET n = 0`)).toMatchObject({ entity: 'stat_errors_daily' });
  });
  it('search index pointing a case key at another case', () => {
    expect(derivedBreak(`INSERT INTO cases_fts(rowid, case_key) VALUES (9999, 'SN-FAKE-0001')`)).toMatchObject({ code: 'AUDIT_DERIVED_MISMATCH', entity: 'cases_fts' });
  });
  it('drift baseline changed outside the app', () => {
    expect(derivedBreak(`UPDATE pack_reference SET scores = '[0.9,0.9,0.9,0.9,0.9,0.9,0.9,0.9,0.9,0.9]'`)).toMatchObject({ entity: 'pack_reference', entityId: 'chest@1.0.0' });
  });
  it('selected operator changed outside the app', () => {
    s.createOperator({ id: 'mallory', name: 'M', role: 'reviewer' });
    expect(derivedBreak(`UPDATE settings SET value = 'mallory' WHERE key = 'operator.current'`)).toMatchObject({ entity: 'settings', entityId: 'mallory' });
    // Selected through the app, it verifies again.
    s.selectOperator('mallory');
    expect(verify().ok).toBe(true);
  });
  it('a changed heatmap blob fails --blobs; the default verify does not read blobs', () => {
    writeFileSync(s.blobs.pathOf(blob), Buffer.from('not the map'));
    expect(verify().ok).toBe(true);
    expect(verify(true).firstBreak).toMatchObject({ code: 'AUDIT_BLOB_MISMATCH', entityId: blob });
  });
});

describe('a truncated chain is not silently re-anchored', () => {
  it('the next ordinary write keeps the anchor, logs the truncation, and verify still reports it', () => {
    const t = tempDir();
    let s = HistoryStore.open(t.file);
    for (let i = 0; i < 6; i++) s.recordInference(sampleRecord(i));
    const anchor = readAnchor(t.file)!;
    expect(anchor.seq).toBe(6);
    tamper(s, 'DELETE FROM inference_runs WHERE id > 4; DELETE FROM audit_log WHERE seq > 4');
    s.close();
    // A writer opens it (the app starting), then records as usual.
    s = HistoryStore.open(t.file);
    s.recordInference(sampleRecord(10));
    s.recordInference(sampleRecord(11));
    expect(readAnchor(t.file)).toEqual(anchor);
    const r = verifyAudit(s.db, readAnchor(t.file));
    expect(r.ok).toBe(false);
    expect(r.firstBreak?.code).toMatch(/AUDIT_TRUNCATED|AUDIT_CHAIN_REWRITTEN/);
    const events = s.db.prepare(`SELECT entity_id FROM audit_log WHERE action = 'audit.truncation_detected'`).pluck().all();
    expect(events).toEqual([`anchor 6 ${anchor.hash}`]);
    // Reopened again: logged once, not per start.
    s.close();
    s = HistoryStore.open(t.file);
    expect(s.db.prepare(`SELECT count(*) FROM audit_log WHERE action = 'audit.truncation_detected'`).pluck().get()).toBe(1);
    const off = offMachineAnchor(s.db, readAnchor(t.file));
    expect(off.holds).toBe(false);
    expect(off.line).toMatch(/^audit head #\d+ sha256 [0-9a-f]{64}$/);
    s.close();
    t.cleanup();
  });

  it('an intact chain moves its anchor forward with each write', () => {
    const t = tempDir();
    const s = HistoryStore.open(t.file);
    s.recordInference(sampleRecord(1));
    const a1 = readAnchor(t.file)!;
    s.recordInference(sampleRecord(2));
    expect(readAnchor(t.file)!.seq).toBe(a1.seq + 1);
    expect(offMachineAnchor(s.db, readAnchor(t.file)).holds).toBe(true);
    s.close();
    t.cleanup();
  });
});
