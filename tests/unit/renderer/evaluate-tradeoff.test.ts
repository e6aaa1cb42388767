/**
 * The Evaluate room's display math and IPC schemas: the live confusion is the definition's count
 * (score ≥ threshold is a defect; the E2E test compares it with the core's) at every slider step,
 * one step is one image; the channels refuse a pack given as a path, a set
 * with both a pack and a config, and an objective target outside [0, 1].
 */
import { describe, expect, it } from 'vitest';
import { cellOf, countsAt, countsRanked, rank, stepOf, thresholdSteps } from '../../../src/renderer/src/evaluate/tradeoff';
import { contract } from '../../../src/shared/contract';

const images = Array.from({ length: 300 }, (_, i) => ({ truth: (i % 3 === 0 ? 1 : 0) as 0 | 1, score: Math.round(((Math.sin(i * 12.9898) + 1) / 2) * 1000) / 1000 }));

/** The definition, written out: each image counted where its truth and decision put it. */
function operatingPoint(truth: number[], scores: number[], t: number) {
  const c = { tp: 0, fp: 0, tn: 0, fn: 0 };
  truth.forEach((y, i) => void c[y ? (scores[i]! >= t ? 'tp' : 'fn') : scores[i]! >= t ? 'fp' : 'tn']++);
  const precision = c.tp + c.fp ? c.tp / (c.tp + c.fp) : 0;
  const recall = c.tp + c.fn ? c.tp / (c.tp + c.fn) : 0;
  return { threshold: t, ...c, precision, recall, f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0, falseAlarmRate: c.fp + c.tn ? c.fp / (c.fp + c.tn) : 0 };
}

describe('live trade-off counts', () => {
  const steps = thresholdSteps(images);
  const ranked = rank(images);
  it('equal the core operating point at every step, and each step moves the counts', () => {
    let prev = '';
    for (const t of steps) {
      const live = countsAt(images, t);
      expect(live).toEqual(operatingPoint(images.map((i) => i.truth), images.map((i) => i.score), t));
      expect(countsRanked(ranked, t)).toEqual(live);
      const key = `${live.tp},${live.fp}`;
      expect(key).not.toBe(prev);
      prev = key;
      expect(live.tp + live.fp + live.tn + live.fn).toBe(images.length);
    }
    // Lowest step flags every image, the last one none.
    expect(countsAt(images, steps[0]!).fn + countsAt(images, steps[0]!).tn).toBe(0);
    expect(countsAt(images, steps.at(-1)!).tp + countsAt(images, steps.at(-1)!).fp).toBe(0);
  });
  it('puts a threshold between scores on the step with the same counts; cells partition the images', () => {
    for (const t of [-1, 0.1234, 0.5, 0.999, 2]) {
      const k = stepOf(steps, t);
      expect(countsAt(images, steps[k]!)).toMatchObject({ tp: countsAt(images, Math.min(t, steps.at(-1)!)).tp, fp: countsAt(images, Math.min(t, steps.at(-1)!)).fp });
      const c = countsAt(images, t);
      for (const cell of ['tp', 'fp', 'tn', 'fn'] as const) expect(images.filter((i) => cellOf(i, t) === cell).length).toBe(c[cell]);
    }
  });
});

describe('evaluation channels (zod)', () => {
  it('accept an installed pack name and a granted set; refuse a pack path, pack and config together, bad targets', () => {
    const start = contract['evaluation.start'].input;
    expect(start.safeParse({ set: '/data/set', pack: 'chest-xray-pneumonia' }).success).toBe(true);
    expect(start.safeParse({ set: '/data/set', config: '/data/inspector.yaml' }).success).toBe(true);
    expect(start.safeParse({ set: '/data/set', pack: '../../etc/pack' }).success).toBe(false);
    expect(start.safeParse({ set: '/data/set', pack: 'p', config: '/c.yaml' }).success).toBe(false);
    expect(start.safeParse({ set: '/data/set' }).success).toBe(false);
    expect(start.safeParse({ set: '/data/set', pack: 'p', extra: 1 }).success).toBe(false);
    const apply = contract['threshold.apply'].input;
    expect(apply.safeParse({ evaluationId: 1, pack: 'p', choice: { kind: 'recall', target: 0.99 } }).success).toBe(true);
    expect(apply.safeParse({ evaluationId: 1, pack: 'p', choice: { kind: 'recall', target: 1.5 } }).success).toBe(false);
    expect(apply.safeParse({ evaluationId: 1, pack: 'p', choice: { kind: 'manual', threshold: Number.NaN } }).success).toBe(false);
    expect(apply.safeParse({ evaluationId: 1, pack: 'p', choice: { kind: 'sql' } }).success).toBe(false);
  });
});
