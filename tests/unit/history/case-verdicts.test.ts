/**
 * Stored case verdicts and their fallback: a history written before the case-verdicts migration
 * (the schema before the case-verdicts migration, real SQLite file) still lists, exports and reports a case verdict,
 * recomputed from its runs and failed images and labelled so; once a verdict is stored (here, a
 * DEFECT policy for a case with a failed image) every reader shows the stored one instead.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { HistoryStore, LATEST_VERSION, MIGRATIONS, migrate, schemaVersion, searchHistory, verifyAudit } from '../../../src/core/history/index';
import { auditReport, exportHistory } from '../../../src/core/reports/index';
import { pdfText } from '../../integration/reports/support/pdfText';
import { sampleRecord, tempDir } from './support';

describe('case verdicts: stored rows, recomputed (and labelled) for older histories', () => {
  const t = tempDir('inspector-case-verdicts-');
  afterAll(() => t.cleanup());

  it('a history from before the migration: recomputed, labelled; then a stored verdict wins everywhere', async () => {
    // Found by name: later migrations may follow it.
    const before = MIGRATIONS.find((m) => m.name === 'case verdicts as rows')!.version - 1;
    // Build the old file with the previous schema's own records (HistoryStore would migrate it first).
    const raw = new Database(t.file);
    migrate(raw, before);
    raw.close();
    {
      const old = new Database(t.file);
      expect(schemaVersion(old)).toBe(before);
      expect(old.prepare(`SELECT 1 FROM sqlite_master WHERE name = 'case_verdicts'`).get()).toBeUndefined();
      old.close();
    }
    const store = HistoryStore.open(t.file);
    try {
      expect(schemaVersion(store.db)).toBe(LATEST_VERSION);
      store.createOperator({ id: 'lee.s', name: 'Lee Sora', role: 'supervisor' });
      const rec = sampleRecord(2, { case: { key: 'CELL-31', kind: 'part' }, verdict: 'normal', score: 0.1 });
      const runId = store.recordInferences([rec])[0]!.runId;
      store.recordError({ stage: 'validation', code: 'IMAGE_TRUNCATED', message: 'cut', sourcePath: '/line/CELL-31/b.png', caseKey: 'CELL-31' });

      // No stored verdict: recomputed from the run and the failed image, and said so.
      expect(searchHistory(store.db).rows[0]!.caseVerdict).toEqual({ verdict: 'INCOMPLETE', source: 'recomputed', policy: null, failedImages: 1 });
      const pdf1 = join(t.dir, 'old.pdf');
      await auditReport(store, {}, 'lee.s', { out: pdf1, thumbnails: false });
      const text1 = (await pdfText(readFileSync(pdf1))).join(' ').replace(/\s+/g, ' ');
      expect(text1).toContain('CELL-31: INCOMPLETE (1 run, 1 failed image)');
      expect(text1).toContain('RECOMPUTED from runs and failed images');
      const csv1 = join(t.dir, 'old.json');
      await exportHistory(store, {}, 'json', 'lee.s', { out: csv1 });
      expect(JSON.parse(readFileSync(csv1, 'utf8')).rows[0]).toMatchObject({ case_verdict: 'INCOMPLETE', case_verdict_source: 'recomputed', case_verdict_policy: null });

      // The verdict the line gave (verdict.incomplete: DEFECT), stored with the run it judged.
      store.recordCaseVerdict({ caseKey: 'CELL-31', verdict: 'INTERNAL_DEFECT', inspectedVerdict: 'PASS', method: 'weighted_average', incompletePolicy: 'DEFECT', score: 0.1, configHash: 'c'.repeat(64), images: 2, failedImages: 1, runIds: [runId], operatorId: 'lee.s' });
      expect(searchHistory(store.db).rows[0]!.caseVerdict).toEqual({ verdict: 'INTERNAL_DEFECT', source: 'stored', policy: 'weighted_average; incomplete DEFECT', failedImages: 1 });
      const pdf2 = join(t.dir, 'new.pdf');
      await auditReport(store, {}, 'lee.s', { out: pdf2, thumbnails: false });
      const text2 = (await pdfText(readFileSync(pdf2))).join(' ').replace(/\s+/g, ' ');
      expect(text2).toContain('CELL-31: INTERNAL_DEFECT (1 run, 1 failed image)');
      expect(text2).not.toContain('CELL-31: INCOMPLETE');
      const json2 = join(t.dir, 'new.json');
      await exportHistory(store, {}, 'json', 'lee.s', { out: json2 });
      const rows = JSON.parse(readFileSync(json2, 'utf8')).rows as Record<string, unknown>[];
      expect(rows.map((r) => [r['record'], r['case_verdict'], r['case_verdict_source']])).toEqual([
        ['run', 'INTERNAL_DEFECT', 'stored'],
        ['failed_image', 'INTERNAL_DEFECT', 'stored'],
      ]);
      const v = verifyAudit(store.db);
      expect(v.ok, JSON.stringify(v.firstBreak)).toBe(true);
      expect(v.records['case_verdict']).toBe(1);
    } finally {
      store.close();
    }
  });

  it('a case verdict inserted behind the app’s back (no audit entry) is caught', () => {
    const store = HistoryStore.open(join(t.dir, 'unlogged.sqlite'));
    try {
      store.recordCaseVerdict({ caseKey: 'A', verdict: 'PASS', method: 'weighted_average', score: 0, configHash: null, images: 1, failedImages: 0, runIds: [] });
      expect(verifyAudit(store.db).ok).toBe(true);
      store.db.prepare(`INSERT INTO case_verdicts(created_at, case_key, verdict, method, score, images, failed_images, run_ids) VALUES (1, 'B', 'PASS', 'x', 0, 1, 0, '[]')`).run();
      expect(verifyAudit(store.db).firstBreak).toMatchObject({ code: 'AUDIT_RECORD_UNLOGGED', entity: 'case_verdict' });
    } finally {
      store.close();
    }
  });
});
