/**
 * The Evaluate room's core helpers: thresholds by any choice are the objectives of thresholds.ts;
 * each image's truth and histogram bin reproduce the evaluation's counts; applying checks role,
 * evaluation and pack identity, takes recorded proposals from the record and computes other
 * choices from the images, all in the audit chain.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyThresholdChoice } from '../../../src/core/evaluation/applyChoice';
import { evaluatePack, type PackFacts, type RecordedRun } from '../../../src/core/evaluation/evaluate';
import type { LabelledSet } from '../../../src/core/evaluation/sets/types';
import { operatingPoint, propose, uncertainBand } from '../../../src/core/evaluation/thresholds';
import { chooseThreshold, choiceObjective, tradeoffImages } from '../../../src/core/evaluation/tradeoff';
import { HistoryStore, verifyAudit } from '../../../src/core/history/index';

/** A seeded set: 60 normals around 0.3, 40 defects around 0.7, on probabilities. */
function data(n = 100, seed = 7) {
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const labels: number[] = [];
  const scores: number[] = [];
  for (let i = 0; i < n; i++) {
    const y = i < n * 0.4 ? 1 : 0;
    labels.push(y);
    scores.push(Math.min(1, Math.max(0, (y ? 0.7 : 0.3) + (rnd() - 0.5) * 0.8)));
  }
  return { labels, scores };
}

describe('chooseThreshold', () => {
  const { labels, scores } = data();
  it('is the objective of thresholds.ts for each preset, the uncertain band for band, the count at a hand-set value', () => {
    expect(chooseThreshold(labels, scores, { kind: 'f1' }).point).toEqual(propose(labels, scores, { kind: 'f1' }).point);
    expect(chooseThreshold(labels, scores, { kind: 'recall', target: 0.95 }).point).toEqual(propose(labels, scores, { kind: 'recall', target: 0.95 }).point);
    expect(chooseThreshold(labels, scores, { kind: 'false-alarm', target: 0.05 }).point).toEqual(propose(labels, scores, { kind: 'false-alarm', target: 0.05 }).point);
    const sigma = chooseThreshold(labels, scores, { kind: 'sigma', k: 2 });
    expect(sigma.point).toEqual(propose(labels, scores, { kind: 'sigma', k: 2 }).point);
    expect(sigma.objective).toBe('mean+2sigma');
    const band = chooseThreshold(labels, scores, { kind: 'band', recallTarget: 0.99, falseAlarmTarget: 0.01 });
    const ref = uncertainBand(labels, scores, 0.99, 0.01);
    expect(band).toMatchObject({ objective: 'band', low: ref.low, high: ref.high, humanShare: ref.humanShare, point: ref.atHigh, atLow: ref.atLow });
    expect(band.low).toBeLessThan(band.high);
    expect(chooseThreshold(labels, scores, { kind: 'manual', threshold: 0.5 })).toMatchObject({ objective: 'manual', low: 0.5, high: 0.5, point: operatingPoint(labels, scores, 0.5) });
    expect(choiceObjective({ kind: 'recall', target: 0.99 })).toBe('recall>=0.99');
  });
});

describe('tradeoffImages', () => {
  it('gives each image the truth the evaluation counts and the bin of its histogram', () => {
    const { labels, scores } = data(80, 3);
    const set: LabelledSet = {
      root: '/s',
      format: 'folders',
      classes: ['normal', 'crack'],
      normalLabel: 'normal',
      identity: 'x',
      images: labels.map((y, i) => ({ path: `/s/${i}.png`, label: y ? 'crack' : 'normal', boxes: [], polygons: [] })),
    };
    const runs: RecordedRun[] = scores.map((s, i) => ({ runId: 100 + i, path: `/s/${i}.png`, caseKey: `c${i}`, pack: 'p', score: s, probabilities: { ok: 1 - s, crack: s }, thresholds: { low: 0.5, high: 0.5 }, verdict: '', regions: [] }));
    const facts: PackFacts = { name: 'p', version: '1', kind: 'classifier', labels: ['ok', 'crack'], normalLabels: ['ok'], identity: 'i' };
    const { evaluation, predictions } = evaluatePack(set, runs, facts, 0, { bootstrapRounds: 10 });
    const images = tradeoffImages(evaluation, predictions, 'normal', (p) => 100 + Number(p.slice(3, -4)));
    expect(images.map((i) => i.truth)).toEqual(labels);
    expect(images.map((i) => i.runId)).toEqual(runs.map((r) => r.runId));
    for (const [truth, hist] of [[0, evaluation.binary.histogram.normal], [1, evaluation.binary.histogram.defect]] as const) {
      const counted = new Array(hist.length).fill(0);
      for (const i of images) if (i.truth === truth) counted[i.bin]++;
      expect(counted).toEqual(hist);
    }
    const at = operatingPoint(images.map((i) => i.truth), images.map((i) => i.score), evaluation.binary.threshold);
    expect(at).toEqual(evaluation.binary.point);
  });
});

describe('applyThresholdChoice', () => {
  let store: HistoryStore;
  let evaluationId: number;
  const { labels, scores } = data();
  const images = labels.map((y, i) => ({ truth: y as 0 | 1, score: scores[i]! }));
  const facts: PackFacts = { name: 'p', version: '1', kind: 'classifier', labels: ['ok', 'crack'], normalLabels: ['ok'], identity: 'id-1' };
  const f1 = propose(labels, scores, { kind: 'f1' }).point.threshold;

  beforeEach(() => {
    store = HistoryStore.open(join(mkdtempSync(join(os.tmpdir(), 'inspector-apply-')), 'h.sqlite'));
    store.createOperator({ id: 'kim', name: 'Kim', role: 'operator' });
    store.createOperator({ id: 'park', name: 'Park', role: 'supervisor' });
    const batchId = store.startEvaluationBatch({ name: 'e', setIdentity: 'set' });
    evaluationId = store.recordEvaluation({
      batchId,
      setIdentity: 'set',
      setSource: '/s',
      packs: [{ name: 'p', version: '1', identity: 'id-1' }],
      configHash: null,
      summary: { packs: [{ pack: 'p', identity: 'id-1', threshold: 0.5, proposals: [{ objective: 'f1-optimal', threshold: f1, f1: 0, recall: 0, falseAlarmRate: 0 }], band: { low: 0.2, high: 0.8, humanShare: 0.4 } }] },
      operatorId: null,
    });
  });
  afterEach(() => store.close());

  const count = () => (store.db.prepare('SELECT count(*) AS n FROM threshold_versions').get() as { n: number }).n;

  it('refuses without a profile and for an operator or reviewer, writing nothing', () => {
    expect(() => applyThresholdChoice(store, { evaluationId, current: facts, choice: { kind: 'f1' } })).toThrow(expect.objectContaining({ code: 'OPERATOR_NOT_SELECTED' }));
    store.selectOperator('kim');
    expect(() => applyThresholdChoice(store, { evaluationId, current: facts, choice: { kind: 'f1' } })).toThrow(expect.objectContaining({ code: 'THRESHOLD_ROLE_REQUIRED', message: expect.stringContaining('supervisor or admin') }));
    expect(count()).toBe(0);
  });

  it('refuses changed pack files and an unknown evaluation', () => {
    store.selectOperator('park');
    expect(() => applyThresholdChoice(store, { evaluationId, current: { ...facts, identity: 'id-2' }, choice: { kind: 'f1' } })).toThrow(expect.objectContaining({ code: 'EVAL_PACK_CHANGED' }));
    expect(() => applyThresholdChoice(store, { evaluationId: evaluationId + 9, current: facts, choice: { kind: 'f1' } })).toThrow(expect.objectContaining({ code: 'EVAL_NOT_FOUND' }));
    expect(count()).toBe(0);
  });

  it('takes a recorded proposal and the recorded band from the record; other choices from the images, or refuses without them', () => {
    store.selectOperator('park');
    const a = applyThresholdChoice(store, { evaluationId, current: facts, choice: { kind: 'f1' } });
    expect(a).toMatchObject({ objective: 'f1-optimal', low: f1, high: f1, humanShare: null, operator: 'park', evaluationId });
    const band = applyThresholdChoice(store, { evaluationId, current: facts, choice: { kind: 'band', recallTarget: 0.99, falseAlarmTarget: 0.01 }, recordedBandTargets: { recallTarget: 0.99, falseAlarmTarget: 0.01 } });
    expect(band).toMatchObject({ objective: 'band', low: 0.2, high: 0.8, humanShare: 0.4 });
    expect(() => applyThresholdChoice(store, { evaluationId, current: facts, choice: { kind: 'recall', target: 0.9 } })).toThrow(expect.objectContaining({ code: 'EVAL_PREDICTIONS_UNAVAILABLE' }));
    const r = applyThresholdChoice(store, { evaluationId, current: facts, choice: { kind: 'recall', target: 0.9 }, images });
    expect(r).toMatchObject({ objective: 'recall>=0.9', low: propose(labels, scores, { kind: 'recall', target: 0.9 }).point.threshold });
    const m = applyThresholdChoice(store, { evaluationId, current: facts, choice: { kind: 'manual', threshold: 0.42 }, images });
    expect(m).toMatchObject({ objective: 'manual', low: 0.42, high: 0.42 });
    const rows = store.db.prepare('SELECT id, objective, low, high, evaluation_id AS ev, operator_id AS op, pack_identity AS identity FROM threshold_versions ORDER BY id').all();
    expect(rows).toEqual([
      { id: a.thresholdVersion, objective: 'f1-optimal', low: f1, high: f1, ev: evaluationId, op: 'park', identity: 'id-1' },
      { id: band.thresholdVersion, objective: 'band', low: 0.2, high: 0.8, ev: evaluationId, op: 'park', identity: 'id-1' },
      { id: r.thresholdVersion, objective: 'recall>=0.9', low: r.low, high: r.high, ev: evaluationId, op: 'park', identity: 'id-1' },
      { id: m.thresholdVersion, objective: 'manual', low: 0.42, high: 0.42, ev: evaluationId, op: 'park', identity: 'id-1' },
    ]);
    expect((store.db.prepare("SELECT count(*) AS n FROM audit_log WHERE action = 'threshold.apply'").get() as { n: number }).n).toBe(4);
    expect(verifyAudit(store.db).ok).toBe(true);
  });
});
