import { writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { anchorPath, HistoryStore, readAnchor, verifyAudit } from '../../../src/core/history/index';
import { sampleRecord, tempDir } from './support';

/** What someone with a SQLite shell does first: remove the guards, then edit. */
function dropGuards(s: HistoryStore): void {
  for (const { name } of s.db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%_no_%'").all() as { name: string }[]) {
    s.db.exec(`DROP TRIGGER ${name}`);
  }
}

function tamper(s: HistoryStore, sql: string): void {
  dropGuards(s);
  s.db.exec(sql);
}

describe('audit chain', () => {
  let t: ReturnType<typeof tempDir>;
  let s: HistoryStore;
  const verify = () => verifyAudit(s.db, readAnchor(t.file));

  beforeEach(() => {
    t = tempDir();
    s = HistoryStore.open(t.file);
    s.createOperator({ id: 'kim', name: 'Kim', role: 'reviewer' });
    for (let i = 0; i < 12; i++) s.recordInference(sampleRecord(i));
    const first = s.recordReview({ runId: 3, operatorId: 'kim', decision: 'override', label: 'normal', note: 'rib shadow' });
    s.recordReview({ runId: 3, operatorId: 'kim', decision: 'uncertain', supersedes: first });
    s.recordError({ stage: 'validation', code: 'DICOM_TRUNCATED_PIXEL_DATA', message: 'Pixel data ends early.' });
  });
  afterEach(() => {
    s.close();
    t.cleanup();
  });

  it('verifies an untouched history, anchored beside the database', () => {
    const r = verify();
    expect(r.ok).toBe(true);
    // operator + 12 runs + 2 reviews + 1 error
    expect(r.entries).toBe(16);
    expect(r.anchor).toEqual(r.head);
    expect(r.records).toMatchObject({ operator: 1, run: 12, review: 2, error: 1, case: 6, image: 12 });
  });

  it('the schema refuses in-place edits and deletes', () => {
    expect(() => s.db.exec("UPDATE reviews SET note = 'x' WHERE id = 1")).toThrow(/HISTORY_APPEND_ONLY/);
    expect(() => s.db.exec('DELETE FROM audit_log WHERE seq = 3')).toThrow(/HISTORY_APPEND_ONLY/);
    expect(() => s.db.exec('UPDATE inference_runs SET verdict = 1 WHERE id = 1')).toThrow(/HISTORY_APPEND_ONLY/);
    expect(verify().ok).toBe(true);
  });

  it('detects an edited record', () => {
    tamper(s, "UPDATE inference_runs SET verdict = 'normal', score = 0.1 WHERE id = 5");
    expect(verify().firstBreak).toMatchObject({ code: 'AUDIT_RECORD_ALTERED', seq: 6, entity: 'run', entityId: '5' });
  });

  it('detects an edited image sealed by its run', () => {
    tamper(s, `UPDATE images SET sha256 = '${'f'.repeat(64)}' WHERE id = 2`);
    expect(verify().firstBreak).toMatchObject({ code: 'AUDIT_RECORD_ALTERED', entity: 'run', entityId: '2' });
  });

  it('detects an edited review note', () => {
    tamper(s, "UPDATE reviews SET note = 'no finding' WHERE id = 1");
    expect(verify().firstBreak).toMatchObject({ code: 'AUDIT_RECORD_ALTERED', entity: 'review', entityId: '1' });
  });

  it('detects an edited entry', () => {
    tamper(s, "UPDATE audit_log SET actor = 'lee' WHERE seq = 14");
    expect(verify().firstBreak).toMatchObject({ code: 'AUDIT_ENTRY_ALTERED', seq: 14 });
  });

  it('detects a deleted record', () => {
    tamper(s, 'DELETE FROM reviews WHERE id = 2');
    expect(verify().firstBreak).toMatchObject({ code: 'AUDIT_RECORD_MISSING', seq: 15, entity: 'review' });
  });

  it('detects a deleted entry', () => {
    tamper(s, 'DELETE FROM audit_log WHERE seq = 7');
    expect(verify().firstBreak).toMatchObject({ code: 'AUDIT_ENTRY_MISSING', seq: 7 });
  });

  it('detects a deleted entry even when the sequence is renumbered', () => {
    tamper(s, 'DELETE FROM audit_log WHERE seq = 7; UPDATE audit_log SET seq = seq - 1 WHERE seq > 7');
    expect(verify().firstBreak).toMatchObject({ code: 'AUDIT_CHAIN_BROKEN', seq: 7 });
  });

  it('detects reordered entries', () => {
    // Swap entries 4 and 9 (each keeps its own content, hashes included).
    tamper(s, 'UPDATE audit_log SET seq = -4 WHERE seq = 4; UPDATE audit_log SET seq = 4 WHERE seq = 9; UPDATE audit_log SET seq = 9 WHERE seq = -4');
    expect(verify().firstBreak).toMatchObject({ code: 'AUDIT_CHAIN_BROKEN', seq: 4 });
  });

  it('detects a truncated chain (last entries and their records removed) by the anchor', () => {
    tamper(s, 'DELETE FROM errors; DELETE FROM audit_log WHERE seq = 16');
    const r = verify();
    expect(r.firstBreak).toMatchObject({ code: 'AUDIT_TRUNCATED', seq: 16 });
    expect(r.head.seq).toBe(15);
  });

  it('without its anchor, a truncated chain still shows the records left unlogged', () => {
    tamper(s, 'DELETE FROM audit_log WHERE seq >= 14');
    expect(verifyAudit(s.db, null).firstBreak).toMatchObject({ code: 'AUDIT_RECORD_UNLOGGED', entity: 'review', entityId: '1' });
  });

  it('detects a chain rebuilt from scratch against the anchor', () => {
    // Rewrite the last entry consistently (its hash recomputed): only the anchor can tell.
    const anchor = readAnchor(t.file)!;
    writeFileSync(anchorPath(t.file), JSON.stringify({ seq: anchor.seq, hash: 'e'.repeat(64) }));
    expect(verify().firstBreak).toMatchObject({ code: 'AUDIT_CHAIN_REWRITTEN', seq: 16 });
  });

  it('detects a record inserted behind the app', () => {
    tamper(
      s,
      "INSERT INTO reviews(run_id, operator_id, decision, label, boxes, note, supersedes, created_at) VALUES (4, 'kim', 'accept', NULL, '[]', NULL, NULL, 1)",
    );
    expect(verify().firstBreak).toMatchObject({ code: 'AUDIT_RECORD_UNLOGGED', entity: 'review', entityId: '3' });
  });

  it('reports removed guards even when the data is intact', () => {
    dropGuards(s);
    expect(verify().firstBreak).toMatchObject({ code: 'AUDIT_GUARD_MISSING' });
  });
});
