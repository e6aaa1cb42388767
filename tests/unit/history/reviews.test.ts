import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { agreementStats, getRun, HistoryStore, readAnchor, searchHistory, verifyAudit } from '../../../src/core/history/index';
import { sampleRecord, tempDir } from './support';

describe('reviews and operator profiles', () => {
  let t: ReturnType<typeof tempDir>;
  let s: HistoryStore;
  beforeEach(() => {
    t = tempDir();
    s = HistoryStore.open(t.file, { synchronous: 'NORMAL' });
  });
  afterEach(() => {
    s.close();
    t.cleanup();
  });

  it('creates, lists and remembers the chosen operator profile', () => {
    s.createOperator({ id: 'kim.j', name: 'Kim Jiwoo', role: 'reviewer' });
    s.createOperator({ id: 'lee', name: 'Lee Minho', role: 'supervisor' });
    expect(s.listOperators().map((o) => o.id)).toEqual(['kim.j', 'lee']);
    expect(s.currentOperator()).toBeNull();
    s.selectOperator('lee');
    expect(s.currentOperator()?.name).toBe('Lee Minho');
    expect(() => s.createOperator({ id: 'lee', name: 'Other', role: 'operator' })).toThrow(expect.objectContaining({ code: 'OPERATOR_EXISTS' }));
    expect(() => s.createOperator({ id: 'bad id!', name: 'x', role: 'operator' })).toThrow(expect.objectContaining({ code: 'OPERATOR_BAD_ID' }));
    expect(() => s.selectOperator('nobody')).toThrow(expect.objectContaining({ code: 'OPERATOR_UNKNOWN' }));
    // No column anywhere holds a password: profiles are identity, not sign-in.
    const cols = s.db.prepare("SELECT name FROM pragma_table_info('operators')").pluck().all();
    expect(cols).toEqual(['id', 'name', 'role', 'created_at']);
  });

  it('keeps every review: a correction supersedes, the history shows both', () => {
    s.createOperator({ id: 'kim', name: 'Kim', role: 'reviewer' });
    s.createOperator({ id: 'lee', name: 'Lee', role: 'supervisor' });
    const { runId } = s.recordInference(sampleRecord(1)); // score 0.37 → normal
    const boxes = [{ box: [12, 20, 30, 18] as [number, number, number, number], label: 'pneumonia' }];
    const first = s.recordReview({ runId, operatorId: 'kim', decision: 'override', label: 'pneumonia', boxes, note: 'left lower lobe' });
    expect(() => s.recordReview({ runId, operatorId: 'lee', decision: 'accept' })).toThrow(expect.objectContaining({ code: 'REVIEW_CONFLICT' }));
    const second = s.recordReview({ runId, operatorId: 'lee', decision: 'accept', supersedes: first, note: 'AI was right' });
    expect(() => s.recordReview({ runId, operatorId: 'kim', decision: 'reject', supersedes: first })).toThrow(
      expect.objectContaining({ code: 'REVIEW_CONFLICT' }),
    );

    const detail = getRun(s.db, runId);
    expect(detail.reviews.map((r) => [r.id, r.decision, r.label, r.operatorName, r.supersedes, r.supersededBy])).toEqual([
      [first, 'override', 'pneumonia', 'Kim', null, second],
      [second, 'accept', null, 'Lee', first, null],
    ]);
    expect(detail.reviews[0]!.boxes).toEqual(boxes);
    expect(detail.reviews[0]!.note).toBe('left lower lobe');
    // The table shows the effective review; agreement counts it once.
    expect(searchHistory(s.db).rows[0]!.review).toMatchObject({ id: second, decision: 'accept', operatorId: 'lee' });
    expect(agreementStats(s.db).matrix).toEqual([[1]]);
    expect(verifyAudit(s.db, readAnchor(t.file)).ok).toBe(true);
  });

  it('rejects reviews that cannot be attributed or make no sense', () => {
    s.createOperator({ id: 'kim', name: 'Kim', role: 'reviewer' });
    const { runId } = s.recordInference(sampleRecord(2));
    expect(() => s.recordReview({ runId, operatorId: 'ghost', decision: 'accept' })).toThrow(expect.objectContaining({ code: 'OPERATOR_UNKNOWN' }));
    expect(() => s.recordReview({ runId, operatorId: 'kim', decision: 'override' })).toThrow(expect.objectContaining({ code: 'REVIEW_LABEL_REQUIRED' }));
    expect(() => s.recordReview({ runId: 999, operatorId: 'kim', decision: 'accept' })).toThrow(expect.objectContaining({ code: 'HISTORY_RUN_NOT_FOUND' }));
    expect(() => s.recordReview({ runId, operatorId: 'kim', decision: 'accept', supersedes: 1 })).toThrow(expect.objectContaining({ code: 'REVIEW_CONFLICT' }));
    // Nothing half-written: the failed attempts left no rows and no entries.
    expect(s.db.prepare('SELECT count(*) FROM reviews').pluck().get()).toBe(0);
    expect(verifyAudit(s.db, readAnchor(t.file)).entries).toBe(2);
  });
});
