/**
 * The fast bootstrap (draw counts, one sequential pass per statistic) against a plain reference
 * written here: each resample materialised from the same seeded index draws, every statistic
 * computed from scratch on it (confusion by counting, ROC-AUC by brute-force Mann-Whitney over all
 * positive/negative pairs), percentiles by numpy's linear rule. Same seed → the same intervals.
 */
import { describe, expect, it } from 'vitest';
import { evaluatePack, type PackFacts, type RecordedRun } from '../../../src/core/evaluation/evaluate';
import { bootstrapCounts, seededRandom } from '../../../src/core/evaluation/metrics/bootstrap';
import { classificationMetrics } from '../../../src/core/evaluation/metrics/classification';
import { countAuc, resampledAuc } from '../../../src/core/evaluation/metrics/curves';
import type { LabelledSet } from '../../../src/core/evaluation/sets/types';

function quantile(sorted: number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  return sorted[lo]! + (sorted[Math.ceil(pos)]! - sorted[lo]!) * (pos - lo);
}

/** Reference percentile bootstrap: materialised resamples, statistic from scratch. */
function reference(n: number, rounds: number, seed: number, stat: (idx: number[]) => number | null) {
  const rand = seededRandom(seed);
  const vals: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const idx = Array.from({ length: n }, () => Math.floor(rand() * n));
    const v = stat(idx);
    if (v !== null && Number.isFinite(v)) vals.push(v);
  }
  vals.sort((a, b) => a - b);
  return vals.length ? { low: quantile(vals, 0.025), high: quantile(vals, 0.975) } : null;
}

function bruteAuc(y: number[], s: number[]): number | null {
  let pairs = 0;
  let wins = 0;
  for (let i = 0; i < y.length; i++) for (let j = 0; j < y.length; j++) if (y[i] && !y[j]) {
    pairs++;
    wins += s[i]! > s[j]! ? 1 : s[i] === s[j] ? 0.5 : 0;
  }
  return pairs ? wins / pairs : null;
}

// Small, tied, imbalanced data: 3 classes, scores on a coarse grid so ties are common.
const rand = seededRandom(5);
const classes = ['ok', 'pit', 'crack'];
const truth = Array.from({ length: 61 }, () => classes[rand() < 0.6 ? 0 : rand() < 0.6 ? 1 : 2]!);
const preds = truth.map((t, i) => {
  const raw = classes.map((c) => (c === t ? 0.5 : 0.2) + rand());
  const sum = raw.reduce((a, b) => a + b, 0);
  const p = raw.map((v) => Math.round((v / sum) * 20) / 20);
  const predicted = classes[p.indexOf(Math.max(...p))]!;
  return { path: `/s/${i}.png`, label: t, predicted, scores: Object.fromEntries(classes.map((c, k) => [c, p[k]!])) };
});

describe('bootstrap by draw counts', () => {
  const seed = 424242;
  const rounds = 300;

  it('per-class precision / recall / F1, accuracy and ROC-AUC intervals equal the reference', () => {
    const m = classificationMetrics(preds, classes, { bootstrapRounds: rounds, seed });
    const n = preds.length;
    const acc = reference(n, rounds, seed, (idx) => idx.filter((i) => preds[i]!.label === preds[i]!.predicted).length / idx.length);
    expect(m.accuracyCi!.low).toBeCloseTo(acc!.low, 12);
    expect(m.accuracyCi!.high).toBeCloseTo(acc!.high, 12);
    for (const c of m.perClass) {
      const counts = (idx: number[]) => {
        const tp = idx.filter((i) => preds[i]!.label === c.label && preds[i]!.predicted === c.label).length;
        const pp = idx.filter((i) => preds[i]!.predicted === c.label).length;
        const ap = idx.filter((i) => preds[i]!.label === c.label).length;
        return { tp, pp, ap };
      };
      const p = reference(n, rounds, seed, (idx) => { const k = counts(idx); return k.pp ? k.tp / k.pp : null; });
      const r = reference(n, rounds, seed, (idx) => { const k = counts(idx); return k.ap ? k.tp / k.ap : null; });
      const f = reference(n, rounds, seed, (idx) => { const k = counts(idx); return k.ap ? (2 * k.tp) / (k.ap + k.pp) : null; });
      const a = reference(n, rounds, seed, (idx) => bruteAuc(idx.map((i) => (preds[i]!.label === c.label ? 1 : 0)), idx.map((i) => preds[i]!.scores[c.label]!)));
      for (const [ours, ref] of [[c.precisionCi, p], [c.recallCi, r], [c.f1Ci, f], [c.rocAucCi, a]] as const) {
        expect(ours!.low).toBeCloseTo(ref!.low, 12);
        expect(ours!.high).toBeCloseTo(ref!.high, 12);
      }
      expect(c.f1Ci!.low).toBeLessThan(c.f1Ci!.high);
    }
  });

  it('the binary (defect vs normal) intervals of evaluatePack equal the reference', () => {
    const runs: RecordedRun[] = preds.map((p, i) => ({ runId: i, path: p.path, caseKey: 'c', pack: 'p', score: 1 - p.scores['ok']!, probabilities: p.scores, thresholds: { low: 0.5, high: 0.5 }, verdict: '', regions: [] }));
    const set: LabelledSet = { root: '/s', format: 'folders', classes, normalLabel: 'ok', images: preds.map((p) => ({ path: p.path, label: p.label, boxes: [], polygons: [] })), identity: 'x' } as unknown as LabelledSet;
    const facts: PackFacts = { name: 'p', version: '1', kind: 'classifier', labels: classes, normalLabels: ['ok'], identity: 'x' };
    const b = evaluatePack(set, runs, facts, 0, { bootstrapRounds: rounds, seed }).evaluation.binary;
    const y = preds.map((p) => (p.label === 'ok' ? 0 : 1));
    const s = runs.map((r) => r.score);
    const at = (idx: number[]) => {
      const tp = idx.filter((i) => y[i] && s[i]! >= 0.5).length;
      const fp = idx.filter((i) => !y[i] && s[i]! >= 0.5).length;
      const fn = idx.filter((i) => y[i] && s[i]! < 0.5).length;
      return { tp, fp, fn };
    };
    const pr = reference(y.length, rounds, seed, (idx) => { const k = at(idx); return k.tp + k.fp ? k.tp / (k.tp + k.fp) : null; });
    const rc = reference(y.length, rounds, seed, (idx) => { const k = at(idx); return k.tp + k.fn ? k.tp / (k.tp + k.fn) : null; });
    const auc = reference(y.length, rounds, seed, (idx) => bruteAuc(idx.map((i) => y[i]!), idx.map((i) => s[i]!)));
    for (const [ours, ref] of [[b.precisionCi, pr], [b.recallCi, rc], [b.rocAucCi, auc]] as const) {
      expect(ours!.low).toBeCloseTo(ref!.low, 12);
      expect(ours!.high).toBeCloseTo(ref!.high, 12);
    }
  });

  it('two-class AUC intervals (one statistic shared by mirrored classes) equal the reference, mirrored or not', () => {
    const r = seededRandom(17);
    const base = Array.from({ length: 47 }, (_, i) => {
      const bad = r() < 0.4;
      const p = Math.round(Math.min(1, Math.max(0, (bad ? 0.6 : 0.4) + (r() - 0.5) * 0.7)) * 10) / 10;
      return { path: `/t/${i}`, label: bad ? 'bad' : 'good', p };
    });
    // Mirrored: good = 1 − bad exactly in rank (ties alike). Not mirrored: good's ties broken by noise.
    for (const mirrored of [true, false]) {
      const two = base.map((b, i) => ({ path: b.path, label: b.label, predicted: b.p >= 0.5 ? 'bad' : 'good', scores: { bad: b.p, good: mirrored ? 1 - b.p : 1 - b.p + (i % 5) * 1e-3 } }));
      const m = classificationMetrics(two, ['good', 'bad'], { bootstrapRounds: rounds, seed });
      for (const c of m.perClass) {
        const ref = reference(two.length, rounds, seed, (idx) => bruteAuc(idx.map((i) => (two[i]!.label === c.label ? 1 : 0)), idx.map((i) => two[i]!.scores[c.label as 'bad' | 'good'])));
        expect(c.rocAucCi!.low).toBeCloseTo(ref!.low, 12);
        expect(c.rocAucCi!.high).toBeCloseTo(ref!.high, 12);
      }
    }
  });

  it('countAuc equals the index form and brute force on each resample; empty classes give null', () => {
    const y = preds.map((p) => (p.label === 'pit' ? 1 : 0));
    const s = preds.map((p) => p.scores['pit']!);
    const byCounts = countAuc(y, s);
    const byIdx = resampledAuc(y, s);
    const r = seededRandom(9);
    for (let k = 0; k < 20; k++) {
      const idx = Uint32Array.from(y, () => Math.floor(r() * y.length));
      const w = new Uint32Array(y.length);
      for (const i of idx) w[i]!++;
      expect(byCounts(w)).toBe(byIdx(idx));
      expect(byCounts(w)).toBeCloseTo(bruteAuc(Array.from(idx, (i) => y[i]!), Array.from(idx, (i) => s[i]!))!, 12);
    }
    const only = new Uint32Array(y.length);
    only[y.indexOf(1)] = 5;
    expect(byCounts(only)).toBeNull();
    // Zero rounds: no interval, not a made-up one.
    expect(bootstrapCounts(5, [() => [1, 2]], { rounds: 0 })).toEqual([[null, null]]);
  });
});
