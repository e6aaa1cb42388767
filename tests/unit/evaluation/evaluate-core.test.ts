/**
 * From recorded runs and labels to a pack's and a case's numbers: truth in the pack's vocabulary,
 * the engine's decision at the pack's threshold, raw anomaly scores for ranking, case truth by side.
 */
import { describe, expect, it } from 'vitest';
import { caseTruth, evaluateCases, evaluatePack, type PackFacts, type RecordedRun } from '../../../src/core/evaluation/evaluate';
import type { LabelledSet } from '../../../src/core/evaluation/sets/types';

const set = (labels: string[]): LabelledSet => ({
  root: '/s',
  format: 'csv',
  classes: [...new Set(labels)],
  normalLabel: 'normal',
  identity: 'x',
  images: labels.map((label, i) => ({ path: `/s/${i}.png`, label, boxes: [], polygons: [] })),
});

const run = (i: number, score: number, extra: Partial<RecordedRun> = {}): RecordedRun => ({
  runId: i,
  path: `/s/${i}.png`,
  caseKey: 'c',
  pack: 'p',
  score,
  probabilities: { ok: 1 - score, crack: score },
  thresholds: { low: 0.3, high: 0.6 },
  verdict: '',
  regions: [],
  ...extra,
});

describe('evaluatePack', () => {
  const classifier: PackFacts = { name: 'p', version: '1', kind: 'classifier', labels: ['ok', 'crack'], normalLabels: ['ok'], identity: 'i' };

  it('maps the set normal label onto the pack normal class, any defect label onto its one defect class, and decides at high', () => {
    const s = set(['normal', 'normal', 'scratch', 'scratch']);
    const { evaluation, predictions } = evaluatePack(s, [run(0, 0.1), run(1, 0.65), run(2, 0.59), run(3, 0.9)], classifier, 0, { bootstrapRounds: 50 });
    expect(predictions.map((p) => p.predicted)).toEqual(['ok', 'crack', 'ok', 'crack']);
    expect(evaluation.classification.matrix).toEqual([[1, 1], [1, 1]]);
    expect(evaluation.binary.point).toMatchObject({ tp: 1, fp: 1, fn: 1, tn: 1, threshold: 0.6 });
    expect(evaluation.binary.uncertainShare).toBe(0.25); // 0.59 lies in [0.3, 0.6)
    expect(evaluation.binary.rocAuc).toBe(0.75);
    expect(evaluation.calibration!.counts.reduce((a, b) => a + b, 0)).toBe(4);
  });

  it('refuses a label a multi-defect pack does not know', () => {
    const multi: PackFacts = { ...classifier, labels: ['ok', 'crack', 'void'] };
    expect(() => evaluatePack(set(['normal', 'scratch']), [run(0, 0.1), run(1, 0.9)], multi, 0)).toThrow(expect.objectContaining({ code: 'EVAL_UNKNOWN_CLASS' }));
  });

  it('ranks anomaly packs on the raw score (the normalised one is clipped at 0) and thresholds in its unit', () => {
    const anomaly: PackFacts = { name: 'p', version: '1', kind: 'anomaly', labels: ['normal', 'anomalous'], normalLabels: ['normal'], identity: 'i', imageThreshold: 1.2 };
    // Normalised scores tie at 0 for the three low ones; raw scores still rank them.
    const runs = [run(0, 0, { rawScore: 0.2 }), run(1, 0, { rawScore: 0.3 }), run(2, 0, { rawScore: 0.4 }), run(3, 0.55, { rawScore: 1.3 })].map((r) => ({ ...r, thresholds: { normalised: 0.5 } }));
    const { evaluation } = evaluatePack(set(['normal', 'normal', 'pitting', 'pitting']), runs, anomaly, 0, { bootstrapRounds: 20 });
    expect(evaluation.binary.threshold).toBe(1.2);
    expect(evaluation.binary.scoreUnit).toBe('raw anomaly score');
    expect(evaluation.binary.rocAuc).toBe(1); // on the tied normalised scores it would be 0.75
    expect(evaluation.binary.point).toMatchObject({ tp: 1, fn: 1, fp: 0 });
    expect(evaluation.calibration).toBeNull();
  });
});

describe('cases', () => {
  const normal = (l: string) => l === 'normal';
  it('a case is PASS, a side defect or combined by the sides of its defective images', () => {
    expect(caseTruth([{ label: 'normal', side: 'internal' }, { label: 'normal', side: 'external' }], normal, 'internal')).toBe('PASS');
    expect(caseTruth([{ label: 'void', side: 'internal' }, { label: 'normal', side: 'external' }], normal, 'internal')).toBe('INTERNAL_DEFECT');
    expect(caseTruth([{ label: 'normal', side: 'internal' }, { label: 'pit', side: 'external' }], normal, 'internal')).toBe('EXTERNAL_DEFECT');
    expect(caseTruth([{ label: 'void', side: 'internal' }, { label: 'pit', side: 'external' }], normal, 'internal')).toBe('COMBINED_DEFECT');
    expect(caseTruth([{ label: 'void' }], normal, 'external')).toBe('EXTERNAL_DEFECT');
  });

  it('counts verdicts against case truth; UNCERTAIN flags a defect but is a false alarm on a good part', () => {
    const c = evaluateCases(
      [
        { id: 'a', truth: 'PASS', verdict: 'PASS' },
        { id: 'b', truth: 'PASS', verdict: 'UNCERTAIN' },
        { id: 'c', truth: 'INTERNAL_DEFECT', verdict: 'INTERNAL_DEFECT' },
        { id: 'd', truth: 'INTERNAL_DEFECT', verdict: 'UNCERTAIN' },
        { id: 'e', truth: 'COMBINED_DEFECT', verdict: 'PASS' },
      ],
      { bootstrapRounds: 20 },
    );
    expect(c.classes).toEqual(['PASS', 'INTERNAL_DEFECT', 'COMBINED_DEFECT']);
    expect(c.predictedClasses).toEqual(['PASS', 'INTERNAL_DEFECT', 'COMBINED_DEFECT', 'UNCERTAIN']);
    expect(c.matrix).toEqual([[1, 0, 0, 1], [0, 1, 0, 1], [1, 0, 0, 0]]);
    expect(c.accuracy).toBe(0.4);
    expect(c.defectRecall).toBeCloseTo(2 / 3, 12);
    expect(c.falsePassRate).toBeCloseTo(1 / 3, 12);
    expect(c.falseAlarmRate).toBe(0.5);
  });
});
