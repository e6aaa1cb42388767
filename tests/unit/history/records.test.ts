import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HistoryStore, readAnchor, verifyAudit } from '../../../src/core/history/index';
import { sampleRecord, tempDir } from './support';

/** Cases and images are shared by the runs that point at them, within a batch and across batches. */
describe('history records: cases and images', () => {
  let t: ReturnType<typeof tempDir>;
  let s: HistoryStore;
  beforeEach(() => {
    t = tempDir();
    s = HistoryStore.open(t.file);
  });
  afterEach(() => {
    s.close();
    t.cleanup();
  });

  const count = (table: string) => (s.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  const img = (path: string, sha: string) => ({ ...sampleRecord(0).image, sourcePath: path, sha256: sha });

  it('one case row per key and one image row per (case, hash, path), inside one batch', () => {
    const a = img('/line/a.png', 'a'.repeat(64));
    const b = img('/line/b.png', 'b'.repeat(64));
    const runs = s.recordInferences([
      sampleRecord(0, { case: { key: 'CELL-1' }, image: a }),
      sampleRecord(1, { case: { key: 'CELL-1' }, image: a }), // same image inspected twice
      sampleRecord(2, { case: { key: 'CELL-1' }, image: b }),
      sampleRecord(3, { case: { key: 'CELL-1' }, image: { ...a, sourcePath: '/line/copy-of-a.png' } }), // same bytes, other file
      sampleRecord(4, { case: { key: 'CELL-2' }, image: a }), // same file under another case
    ]);
    expect(count('cases')).toBe(2);
    expect(count('images')).toBe(4);
    expect(runs[0]!.imageId).toBe(runs[1]!.imageId);
    expect(new Set(runs.map((r) => r.imageId)).size).toBe(4);
    expect(runs.slice(0, 4).every((r) => r.caseId === runs[0]!.caseId)).toBe(true);
    expect(runs[4]!.caseId).not.toBe(runs[0]!.caseId);
    expect(verifyAudit(s.db, readAnchor(t.file)).ok).toBe(true);
  });

  it('a later batch finds the case and image already stored, and a new image of an old case is added', () => {
    const a = img('/line/a.png', 'a'.repeat(64));
    const first = s.recordInference(sampleRecord(0, { case: { key: 'CELL-9' }, image: a }));
    const [again, other] = s.recordInferences([
      sampleRecord(1, { case: { key: 'CELL-9' }, image: a }),
      sampleRecord(2, { case: { key: 'CELL-9' }, image: img('/line/c.png', 'c'.repeat(64)) }),
    ]);
    expect(again!.caseId).toBe(first.caseId);
    expect(again!.imageId).toBe(first.imageId);
    expect(other!.caseId).toBe(first.caseId);
    expect(other!.imageId).not.toBe(first.imageId);
    expect(count('images')).toBe(2);
    expect(verifyAudit(s.db, readAnchor(t.file)).ok).toBe(true);
  });

  it('a batch that fails leaves no case behind, and the next batch creates it afresh', () => {
    expect(() => s.recordInferences([sampleRecord(0, { case: { key: 'CELL-5' } }), sampleRecord(1, { case: { key: 'CELL-5' }, score: Number.NaN })])).toThrow(
      /finite/,
    );
    expect(count('cases')).toBe(0);
    const run = s.recordInference(sampleRecord(2, { case: { key: 'CELL-5' } }));
    expect(count('cases')).toBe(1);
    expect(run.caseId).toBeGreaterThan(0);
    expect(verifyAudit(s.db, readAnchor(t.file)).ok).toBe(true);
  });
});
