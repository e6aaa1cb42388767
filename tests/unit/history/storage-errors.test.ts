/**
 * Storage failures are coded with the path and a hint, not raw SQLITE_READONLY / SQLITE_FULL, and a
 * read-only database still lists, summarises and verifies. The full disk is real SQLite: the file
 * is capped at its current page count (`max_page_count`), so the next insert needs a page it cannot
 * have — the same SQLITE_FULL a full disk gives.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dailyStats, HistoryStore, readAnchor, searchHistory, verifyAudit } from '../../../src/core/history/index';
import { exportHistory } from '../../../src/core/reports/exportHistory';
import { sampleRecord, tempDir } from './support';

describe('history storage errors', () => {
  it('a write to a read-only database: HISTORY_READ_ONLY with the file and a hint; list, stats, verify and export work', async () => {
    const t = tempDir();
    const w = HistoryStore.open(t.file);
    w.createOperator({ id: 'kim.j', name: 'Kim', role: 'reviewer' });
    for (let i = 0; i < 4; i++) w.recordInference(sampleRecord(i));
    w.close();
    const r = HistoryStore.open(t.file, { readonly: true });
    expect(searchHistory(r.db, {}).rows).toHaveLength(4);
    expect(dailyStats(r.db, {}).reduce((n, d) => n + d.runs, 0)).toBe(4);
    const v = verifyAudit(r.db, readAnchor(t.file));
    expect(v.ok).toBe(true);
    expect(v.derived).toContain('cases_fts (not checked: read-only database)');
    expect(() => r.recordError({ stage: 'other', code: 'SOME_ERROR', message: 'x' })).toThrow(
      expect.objectContaining({ code: 'HISTORY_READ_ONLY', details: expect.objectContaining({ file: t.file, hint: expect.any(String) }) }),
    );
    // Export reads it as it is and says it could not be logged.
    const out = join(t.dir, 'runs.csv');
    const res = await exportHistory(r, {}, 'csv', 'kim.j', { out });
    expect(res).toMatchObject({ runs: 4, logged: false, audit: v.head });
    expect(readFileSync(out, 'utf8').split('\n').filter(Boolean).length).toBeGreaterThan(4);
    r.close();
    t.cleanup();
  });

  it('a full disk: HISTORY_DISK_FULL with the file, and nothing half-written', () => {
    const t = tempDir();
    const s = HistoryStore.open(t.file);
    s.recordInference(sampleRecord(0));
    const pages = s.db.pragma('page_count', { simple: true }) as number;
    s.db.pragma(`max_page_count = ${pages}`);
    let err: unknown;
    try {
      for (let i = 1; i < 500; i++) s.recordInference(sampleRecord(i, { regions: Array.from({ length: 50 }, () => ({ box: [1, 2, 3, 4], label: 'x'.repeat(200), score: 0.5 })) }));
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'HISTORY_DISK_FULL', details: { file: t.file, cause: 'SQLITE_FULL' } });
    expect(verifyAudit(s.db, readAnchor(t.file)).ok).toBe(true);
    s.close();
    t.cleanup();
  });
});
