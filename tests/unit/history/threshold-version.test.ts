/**
 * One shape for a threshold version: what `recordThresholdVersion` is given (ThresholdInput) is what
 * `validationStatus` reads back (ThresholdVersion = ThresholdInput + id + time), field for field,
 * through a real SQLite file.
 */
import { describe, expect, it } from 'vitest';
import { HistoryStore } from '../../../src/core/history/index';
import type { ThresholdInput } from '../../../src/core/history/records';
import { validationStatus, type ThresholdVersion } from '../../../src/core/evaluation/validation';
import { tempDir } from './support';

describe('threshold versions', () => {
  it('read back exactly as recorded', () => {
    const t = tempDir('inspector-threshold-');
    const store = HistoryStore.open(t.file);
    try {
      store.createOperator({ id: 'qa.1', name: 'QA One', role: 'supervisor' });
      const batchId = store.startEvaluationBatch({ name: 'eval', setIdentity: 'set-1', operatorId: 'qa.1' });
      const evaluationId = store.recordEvaluation({ batchId, setIdentity: 'set-1', setSource: '/sets/a', packs: [{ name: 'ct', version: '1', identity: 'id-ct' }], configHash: null, summary: {}, operatorId: 'qa.1' });
      const input: ThresholdInput = { packName: 'ct', packIdentity: 'id-ct', evaluationId, objective: 'f1', low: 0.31, high: 0.72, humanShare: 0.08, operatorId: 'qa.1' };
      const before = Date.now();
      const id = store.recordThresholdVersion(input);
      const read: ThresholdVersion | null = validationStatus(store.db, 'id-ct').threshold;
      expect(read).toEqual({ ...input, id, createdAt: expect.any(Number) });
      expect(read!.createdAt).toBeGreaterThanOrEqual(before);
      // Every stored field has its column in the one read query: no field of the input is lost.
      expect(Object.keys(read!).sort()).toEqual([...Object.keys(input), 'id', 'createdAt'].sort());
    } finally {
      store.close();
      t.cleanup();
    }
  });
});
