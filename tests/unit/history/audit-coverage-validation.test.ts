/**
 * Issue 12 item 5, the validation notice: every result and the dashboard say whether a pack is
 * validated, read from `evaluation_packs` (which packs an evaluation covered). That table is not
 * signed itself; verify recomputes it from the signed evaluations' `packs` lists, so a pack
 * marked validated outside the app is caught.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { validationStatus } from '../../../src/core/evaluation/validation';
import { HistoryStore, readAnchor, verifyAudit } from '../../../src/core/history/index';
import { tempDir } from './support';

describe('audit verify covers which packs are validated', () => {
  let t: ReturnType<typeof tempDir>;
  let s: HistoryStore;
  let evaluationId: number;
  const verify = () => verifyAudit(s.db, readAnchor(t.file));

  beforeEach(() => {
    t = tempDir();
    s = HistoryStore.open(t.file);
    const batchId = s.startEvaluationBatch({ name: 'labelled set', setIdentity: 'set-1' });
    evaluationId = s.recordEvaluation({ batchId, setIdentity: 'set-1', setSource: '/sets/a', packs: [{ name: 'ct', version: '1', identity: 'id-ct' }], configHash: null, summary: {}, operatorId: null });
  });
  afterEach(() => {
    s.close();
    t.cleanup();
  });

  it('an evaluated pack verifies as validated', () => {
    expect(validationStatus(s.db, 'id-ct').validated).toBe(true);
    expect(verify().firstBreak).toBeNull();
    expect(verify().derived).toContain('evaluation_packs');
  });

  it('a pack never evaluated marked validated', () => {
    expect(validationStatus(s.db, 'id-surface').validated).toBe(false);
    s.db.prepare('INSERT INTO evaluation_packs(evaluation_id, pack_name, pack_identity) VALUES (?,?,?)').run(evaluationId, 'surface', 'id-surface');
    expect(validationStatus(s.db, 'id-surface').validated).toBe(true);
    expect(verify().firstBreak).toMatchObject({ code: 'AUDIT_DERIVED_MISMATCH', entity: 'evaluation_packs' });
  });

  it("an evaluated pack's validation removed", () => {
    // The append-only guard dropped first, as a forger with the file would.
    const guard = s.db.prepare(`SELECT sql FROM sqlite_master WHERE name = 'evaluation_packs_no_delete'`).pluck().get() as string;
    s.db.exec('DROP TRIGGER evaluation_packs_no_delete; DELETE FROM evaluation_packs');
    s.db.exec(guard);
    expect(verify().firstBreak).toMatchObject({ code: 'AUDIT_DERIVED_MISMATCH', entity: 'evaluation_packs' });
  });
});
