import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  agreementStats,
  allPacksDrift,
  dailyStats,
  errorStats,
  HistoryStore,
  ksPValue,
  ksStatistic,
  packDrift,
  packStats,
  psi,
  searchHistory,
} from '../../../src/core/history/index';
import { sampleRecord, tempDir } from './support';

describe('history queries and statistics', () => {
  const t = tempDir();
  let s: HistoryStore;
  const runIds: number[] = [];

  beforeAll(() => {
    s = HistoryStore.open(t.file, { synchronous: 'NORMAL' });
    s.createOperator({ id: 'kim', name: 'Kim', role: 'reviewer' });
    s.createOperator({ id: 'lee', name: 'Lee', role: 'reviewer' });
    // 30 runs over 3 days (i % 3), scores (i*37 % 100)/100; 20 on `chest`, 10 on `surface`.
    const recs = Array.from({ length: 30 }, (_, i) =>
      sampleRecord(i, i >= 20 ? { pack: { name: 'surface', version: '2', fileHashes: {} }, verdict: ((i * 37) % 100) / 100 >= 0.5 ? 'anomalous' : 'normal' } : {}),
    );
    runIds.push(...s.recordInferences(recs).map((r) => r.runId));
    // Reviews on chest runs 1..8: accept 1-4, override 5-6 to the other class, reject 7, uncertain 8.
    for (let k = 1; k <= 8; k++) {
      const rec = recs[k - 1]!;
      const other = rec.verdict === 'normal' ? 'pneumonia' : 'normal';
      const decision = k <= 4 ? 'accept' : k <= 6 ? 'override' : k === 7 ? 'reject' : 'uncertain';
      s.recordReview({ runId: k, operatorId: k % 2 ? 'kim' : 'lee', decision, label: decision === 'override' ? other : null });
    }
    s.recordError({ stage: 'validation', code: 'IMAGE_UNSUPPORTED', message: 'x', createdAt: Date.UTC(2025, 0, 1, 12) });
    s.recordError({ stage: 'inference', code: 'PACK_INPUT_MISMATCH', message: 'y', createdAt: Date.UTC(2025, 0, 2, 12) });
  });
  afterAll(() => {
    s.close();
    t.cleanup();
  });

  it('pages newest first and filters by verdict, pack, reviewer, status and case text', () => {
    const all = searchHistory(s.db, { limit: 7, withTotal: true });
    expect(all.total).toBe(30);
    expect(all.rows).toHaveLength(7);
    expect(all.hasMore).toBe(true);
    const times = all.rows.map((r) => r.createdAt);
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    const page5 = searchHistory(s.db, { limit: 7, offset: 28 });
    expect(page5.rows).toHaveLength(2);
    expect(page5.hasMore).toBe(false);

    const pneumonia = searchHistory(s.db, { verdicts: ['pneumonia'], limit: 100 });
    expect(pneumonia.rows.every((r) => r.verdict === 'pneumonia' && r.score >= 0.5)).toBe(true);
    expect(pneumonia.rows.length).toBe(Array.from({ length: 20 }, (_, i) => ((i * 37) % 100) / 100).filter((x) => x >= 0.5).length);
    expect(searchHistory(s.db, { pack: 'surface', limit: 100 }).rows).toHaveLength(10);
    expect(searchHistory(s.db, { reviewer: 'kim', limit: 100 }).rows.map((r) => r.runId).sort((a, b) => a - b)).toEqual([1, 3, 5, 7]);
    expect(searchHistory(s.db, { reviewStatus: 'reviewed', limit: 100 }).rows).toHaveLength(8);
    expect(searchHistory(s.db, { reviewStatus: 'unreviewed', limit: 100 }).rows).toHaveLength(22);
    expect(searchHistory(s.db, { reviewStatus: 'override', limit: 100 }).rows.map((r) => r.runId).sort()).toEqual([5, 6]);
    // Case keys are SN-001000 .. SN-001014, two runs each.
    expect(searchHistory(s.db, { text: '00101', limit: 100 }).rows.map((r) => r.caseKey).sort()).toEqual(
      ['SN-001010', 'SN-001010', 'SN-001011', 'SN-001011', 'SN-001012', 'SN-001012', 'SN-001013', 'SN-001013', 'SN-001014', 'SN-001014'],
    );
    expect(searchHistory(s.db, { text: '14', limit: 100 }).rows.map((r) => r.caseKey)).toEqual(['SN-001014', 'SN-001014']);
    expect(searchHistory(s.db, { text: '"; DROP', limit: 100 }).rows).toEqual([]);
    const jan2 = searchHistory(s.db, { from: Date.UTC(2025, 0, 2), to: Date.UTC(2025, 0, 3), limit: 100 });
    expect(jan2.rows).toHaveLength(10);
    const byScore = searchHistory(s.db, { sort: 'score', order: 'desc', limit: 3 }).rows.map((r) => r.score);
    expect(byScore).toEqual([0.99, 0.96, 0.92]);
    expect(() => searchHistory(s.db, { from: 10, to: 5 })).toThrow(expect.objectContaining({ code: 'HISTORY_BAD_RANGE' }));
  });

  it('counts per day, per pack and per error code from the aggregates', () => {
    const days = dailyStats(s.db);
    expect(days.map((d) => [d.day, d.runs, d.errors])).toEqual([
      ['2025-01-01', 10, 1],
      ['2025-01-02', 10, 1],
      ['2025-01-03', 10, 0],
    ]);
    expect(days.reduce((a, d) => a + d.images, 0)).toBe(30);
    expect(Object.values(days[0]!.verdicts).reduce((a, b) => a + b, 0)).toBe(10);
    expect(dailyStats(s.db, { fromDay: '2025-01-02', pack: 'surface' }).map((d) => d.runs)).toEqual([3, 4]);

    const [chest, surface] = packStats(s.db);
    expect(chest!.pack).toBe('chest');
    expect(chest!.runs).toBe(20);
    expect(surface!.runs).toBe(10);
    expect(chest!.threshold).toBe(0.5);
    expect(chest!.histogram.reduce((a, b) => a + b, 0)).toBe(20);
    // Run 2's score 0.37 falls in bin 37.
    expect(chest!.histogram[37]).toBe(1);

    const errors = errorStats(s.db);
    expect(errors.total).toBe(2);
    expect(errors.rate).toBeCloseTo(2 / 32, 10);
    expect(errors.byCode.map((e) => e.code).sort()).toEqual(['IMAGE_UNSUPPORTED', 'PACK_INPUT_MISMATCH']);
  });

  it('builds the AI-vs-reviewer matrix with precision, recall and F1', () => {
    const a = agreementStats(s.db, { pack: 'chest' });
    // Runs 1..7 reviewed with a label (8 is uncertain): scores 0, .37, .74, .11, .48, .85, .22
    // → AI normal, normal, pneumonia, normal | override: normal→pneumonia, pneumonia→normal | reject normal.
    expect(a.aiLabels).toEqual(['normal', 'pneumonia']);
    expect(a.humanLabels).toEqual(['normal', 'pneumonia', '(rejected)']);
    expect(a.matrix).toEqual([
      [3, 1, 1],
      [1, 1, 0],
    ]);
    expect(a.reviewed).toBe(7);
    expect(a.accuracy).toBeCloseTo(4 / 7, 10);
    const normal = a.perClass.find((c) => c.label === 'normal')!;
    expect(normal.precision).toBeCloseTo(3 / 5, 10);
    expect(normal.recall).toBeCloseTo(3 / 4, 10);
    expect(normal.f1).toBeCloseTo((2 * 0.6 * 0.75) / 1.35, 10);
    const pn = a.perClass.find((c) => c.label === 'pneumonia')!;
    expect([pn.precision, pn.recall, pn.support]).toEqual([0.5, 0.5, 2]);
  });

  it('reports drift against the pack reference, and says when it cannot', () => {
    expect(packDrift(s.db, { pack: 'chest' }).status).toBe('no-reference');
    s.setPackReference('chest', '1.0.0', Array.from({ length: 100 }, (_, i) => i / 100));
    expect(packDrift(s.db, { pack: 'chest' }).status).toBe('insufficient-data');
    const d = packDrift(s.db, { pack: 'chest', minSamples: 10 });
    expect(d.recentN).toBe(20);
    expect(d.ks).toBeCloseTo(ksStatistic(Array.from({ length: 100 }, (_, i) => i / 100), Array.from({ length: 20 }, (_, i) => ((i * 37) % 100) / 100)), 12);
    expect(d.status).toBe(d.flagged ? 'drift' : 'ok');
    expect(packDrift(s.db, { pack: 'chest', minSamples: 10, limits: { psi: 0, ks: 0 } }).status).toBe('drift');
    expect(allPacksDrift(s.db).map((r) => r.pack)).toEqual(['chest', 'surface']);
  });
});

describe('drift statistics', () => {
  it('PSI is 0 for the same distribution and matches a hand computation', () => {
    const ref = Array.from({ length: 1000 }, (_, i) => i / 1000);
    expect(psi(ref, ref)).toBeCloseTo(0, 12);
    // Everything recent in the top decile: 9 bins at ε, one at 1.
    const shifted = Array.from({ length: 100 }, () => 0.95);
    const eps = 1e-4;
    const expected = 9 * (eps - 0.1) * Math.log(eps / 0.1) + (1 - 0.1) * Math.log(1 / 0.1);
    expect(psi(ref, shifted)).toBeCloseTo(expected, 10);
  });

  it('KS statistic and p-value agree with SciPy', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const a = Array.from({ length: 400 }, () => rnd());
    const b = Array.from({ length: 300 }, () => Math.min(1, rnd() * 0.9 + 0.08));
    // Ties across the samples exercise the pooled-step handling.
    b.push(...a.slice(0, 20));
    const py = spawnSync(
      '/usr/bin/python3',
      ['-c', 'import json,sys; from scipy.stats import ks_2samp; d=json.load(sys.stdin); r=ks_2samp(d[0], d[1], method="asymp"); print(json.dumps([r.statistic, r.pvalue]))'],
      { input: JSON.stringify([a, b]), encoding: 'utf8' },
    );
    expect(py.status, py.stderr).toBe(0);
    const [stat, p] = JSON.parse(py.stdout) as [number, number];
    const d = ksStatistic(a, b);
    expect(d).toBeCloseTo(stat, 12);
    // SciPy's asymptotic p differs from Stephens' corrected formula by a small amount.
    expect(ksPValue(d, a.length, b.length)).toBeCloseTo(p, 2);
  });
});
