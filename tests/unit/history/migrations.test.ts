import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { dailyStats, HistoryStore, LATEST_VERSION, migrate, MIGRATIONS, readAnchor, schemaVersion, searchHistory, verifyAudit, agreementStats } from '../../../src/core/history/index';
import { tempDir } from './support';

/**
 * Rows as a station on schema version 1 wrote them (before the audit chain and the aggregates),
 * inserted with plain SQL because today's store writes the latest schema.
 */
function fillV1(db: Database.Database): void {
  db.exec(`
    INSERT INTO operators VALUES ('kim', 'Kim', 'reviewer', 1735725600000);
    INSERT INTO cases(id, case_key, kind, line, station, tags, created_at) VALUES (1, 'CELL-0001', 'cell', 'L1', 'CT1', '[]', 1735725600000);
    INSERT INTO cases(id, case_key, kind, line, station, tags, created_at) VALUES (2, 'CELL-0002', 'cell', 'L1', 'CT1', '[]', 1735812000000);
    INSERT INTO images(id, case_id, source_path, sha256, format, modality, validation, created_at)
      VALUES (1, 1, '/a.dcm', '${'1'.repeat(64)}', 'dicom', 'ct', '{"outcome":"ok"}', 1735725600000),
             (2, 2, '/b.dcm', '${'2'.repeat(64)}', 'dicom', 'ct', '{"outcome":"ok"}', 1735812000000);
    INSERT INTO inference_runs(id, created_at, day, case_id, image_id, pack_name, pack_version, pack_hashes, provider, verdict, score,
        threshold, probabilities, scores, thresholds, regions, timings)
      VALUES (1, 1735725600000, '2025-01-01', 1, 1, 'battery', '1', '{}', 'cpu', 'void', 0.91, 0.5, '{}', '{}', '{}', '[]', '{}'),
             (2, 1735812000000, '2025-01-02', 2, 2, 'battery', '1', '{}', 'cpu', 'ok', 0.12, 0.5, '{}', '{}', '{}', '[]', '{}');
    INSERT INTO reviews(id, run_id, operator_id, decision, label, boxes, created_at) VALUES
      (1, 1, 'kim', 'override', 'ok', '[]', 1735725700000),
      (2, 1, 'kim', 'accept', NULL, '[]', 1735725800000);
    INSERT INTO errors(id, created_at, day, stage, code, message, details) VALUES (1, 1735725600000, '2025-01-01', 'validation', 'DICOM_TRUNCATED', 'short', '{}');
  `);
}

describe('history schema migrations', () => {
  let t: ReturnType<typeof tempDir>;
  afterEach(() => t?.cleanup());

  it('creates the latest schema on an empty file', () => {
    t = tempDir();
    const s = HistoryStore.open(t.file);
    expect(schemaVersion(s.db)).toBe(LATEST_VERSION);
    expect(MIGRATIONS.map((m) => m.version)).toEqual(Array.from({ length: LATEST_VERSION }, (_, i) => i + 1));
    expect(s.db.pragma('journal_mode', { simple: true })).toBe('wal');
    s.close();
  });

  for (let from = 1; from < LATEST_VERSION; from++) {
    it(`migrates a database with data from version ${from} to ${LATEST_VERSION}`, () => {
      t = tempDir();
      const db = new Database(t.file);
      migrate(db, 1);
      fillV1(db);
      migrate(db, from);
      expect(schemaVersion(db)).toBe(from);
      db.close();

      const s = HistoryStore.open(t.file);
      expect(schemaVersion(s.db)).toBe(LATEST_VERSION);
      // Old rows are whole, logged in the chain and counted in the aggregates.
      const report = verifyAudit(s.db, readAnchor(t.file));
      expect(report.firstBreak).toBeNull();
      expect(report.records).toMatchObject({ operator: 1, run: 2, review: 2, error: 1, case: 2, image: 2 });
      expect(dailyStats(s.db)).toEqual([
        { day: '2025-01-01', images: expect.any(Number), runs: 1, verdicts: { void: 1 }, errors: 1 },
        { day: '2025-01-02', images: expect.any(Number), runs: 1, verdicts: { ok: 1 }, errors: 0 },
      ]);
      // The latest review of run 1 (accept) is the effective one.
      const agreement = agreementStats(s.db);
      expect(agreement.matrix).toEqual([[1]]);
      expect(agreement.aiLabels).toEqual(['void']);
      expect(searchHistory(s.db, { text: 'LL-0002' }).rows.map((r) => r.caseKey)).toEqual(['CELL-0002']);
      // And the migrated store keeps writing onto the same chain.
      s.recordReview({ runId: 2, operatorId: 'kim', decision: 'reject', label: 'void' });
      expect(verifyAudit(s.db, readAnchor(t.file)).ok).toBe(true);
      const after = agreementStats(s.db);
      expect(after.aiLabels).toEqual(['ok', 'void']);
      expect(after.humanLabels).toEqual(['ok', 'void']);
      expect(after.matrix).toEqual([
        [0, 1],
        [0, 1],
      ]);
      s.close();
    });
  }

  it('reopening the latest version changes nothing', () => {
    t = tempDir();
    HistoryStore.open(t.file).close();
    const s = HistoryStore.open(t.file);
    expect(migrate(s.db)).toBe(LATEST_VERSION);
    s.close();
  });

  it('refuses a database written by a newer Inspector', () => {
    t = tempDir();
    const db = new Database(t.file);
    db.pragma(`user_version = ${LATEST_VERSION + 1}`);
    db.close();
    expect(() => HistoryStore.open(t.file)).toThrow(expect.objectContaining({ code: 'HISTORY_SCHEMA_TOO_NEW' }));
  });

  it('a failing migration leaves the previous version intact', () => {
    t = tempDir();
    const db = new Database(t.file);
    migrate(db, 1);
    fillV1(db);
    // A clashing trigger name makes migration 2 fail halfway through its script.
    db.exec('CREATE TABLE clash(x); CREATE TRIGGER reviews_no_delete BEFORE DELETE ON clash BEGIN SELECT 1; END;');
    expect(() => migrate(db)).toThrow();
    expect(schemaVersion(db)).toBe(1);
    expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'audit_log'").pluck().get()).toBe(0);
    expect(db.prepare('SELECT count(*) FROM inference_runs').pluck().get()).toBe(2);
    db.close();
  });
});
